"""Supplies under lockdown: food packs, medicine and group purchases delivered to compounds and households,
and the households no delivery has reached yet."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from gridscreen import clock
from gridscreen.areas import service as areas
from gridscreen.areas.models import Area, Level
from gridscreen.auth.principal import Principal
from gridscreen.config import get_settings
from gridscreen.people import service as people
from gridscreen.people.models import Household
from gridscreen.support.exceptions import (
    AlreadyDelivered,
    DeliveryNotFound,
    HouseholdNotInCompound,
    NotACompound,
)
from gridscreen.support.models import Delivery, SupplyKind
from gridscreen.support.schemas import DeliveryIn, DeliveryOut, UnreachedOut

Building = aliased(Area, name="building")
Compound = aliased(Area, name="compound")


def plan_delivery(session: Session, principal: Principal, data: DeliveryIn) -> Delivery:
    compound = areas.get_area(session, principal, data.compound_id)
    if compound.level != Level.compound:
        raise NotACompound(data.compound_id)
    if data.household_id is not None:
        household = people.get_household(session, principal, data.household_id)
        if session.get(Area, household.building_id).compound_id != compound.id:
            raise HouseholdNotInCompound()
    delivery = Delivery(
        committee_id=compound.committee_id,
        compound_id=compound.id,
        household_id=data.household_id,
        kind=data.kind,
        items=data.items,
        quantity=data.quantity,
        planned_for=data.planned_for,
        created_by=principal.user_id,
    )
    session.add(delivery)
    session.flush()
    return delivery


def mark_delivered(
    session: Session, principal: Principal, delivery_id: int, *, quantity: int, now: datetime
) -> Delivery:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or not principal.covers(session.get(Area, delivery.compound_id)):
        raise DeliveryNotFound(delivery_id)
    if delivery.delivered_at is not None:
        raise AlreadyDelivered(delivery_id)
    delivery.delivered_at, delivery.delivered_quantity = now, quantity
    return delivery


def list_deliveries(session: Session, principal: Principal, *, grid_id: int, since: date) -> list[DeliveryOut]:
    grid = areas.get_grid(session, principal, grid_id)
    rows = session.execute(
        select(Delivery, Area.name)
        .join(Area, Area.id == Delivery.compound_id)
        .where(Delivery.committee_id == grid.id, Delivery.planned_for >= since)
        .order_by(Delivery.planned_for.desc(), Delivery.id.desc())
    ).all()
    return [_out(d, name) for d, name in rows]


def present(session: Session, delivery: Delivery) -> DeliveryOut:
    return _out(delivery, session.get(Area, delivery.compound_id).name)


def _out(d: Delivery, compound: str) -> DeliveryOut:
    return DeliveryOut(
        id=d.id, compound_id=d.compound_id, compound=compound, household_id=d.household_id, kind=d.kind,
        items=d.items, quantity=d.quantity, planned_for=d.planned_for, delivered_at=clock.aware(d.delivered_at),
        delivered_quantity=d.delivered_quantity,
    )  # fmt: skip


def unreached(session: Session, principal: Principal, *, grid_id: int, since: date) -> UnreachedOut:
    """Households of a grid that no food (government pack or group purchase) has reached since a day,
    neither delivered to the household nor to its whole compound."""
    grid = areas.get_grid(session, principal, grid_id)
    start = datetime.combine(since, time(), ZoneInfo(get_settings().timezone))
    food = (
        Delivery.kind.in_([SupplyKind.food, SupplyKind.group_purchase]),
        Delivery.delivered_at >= start,
        Delivery.committee_id == grid.id,
    )
    to_compound = select(Delivery.compound_id).where(*food, Delivery.household_id.is_(None))
    to_household = select(Delivery.household_id).where(*food, Delivery.household_id.is_not(None))
    reached = or_(Building.compound_id.in_(to_compound), Household.id.in_(to_household))
    rows = session.execute(
        select(Compound.id, Compound.name, func.count(Household.id))
        .select_from(Household)
        .join(Building, Building.id == Household.building_id)
        .join(Compound, Compound.id == Building.compound_id)
        .where(and_(Household.committee_id == grid.id, ~reached))
        .group_by(Compound.id, Compound.name)
        .order_by(func.count(Household.id).desc(), Compound.id)
    ).all()
    return UnreachedOut(
        since=since,
        households=grid.households,
        unreached=sum(r[2] for r in rows),
        compounds=[(r[0], r[1], r[2]) for r in rows],
    )
