"""The grid's announcements to its residents, and the notifications a user has received."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridscreen.areas import service as areas
from gridscreen.areas.models import Area
from gridscreen.auth.principal import Principal
from gridscreen.people.models import Household
from gridscreen.support.exceptions import NotificationNotFound
from gridscreen.support.models import Announcement, Notification
from gridscreen.support.schemas import AnnouncementIn


def post(session: Session, principal: Principal, data: AnnouncementIn, *, now: datetime) -> Announcement:
    area = areas.get_area(session, principal, data.area_id)
    announcement = Announcement(
        area_id=area.id, title=data.title, body=data.body, posted_by=principal.user_id, posted_at=now
    )
    session.add(announcement)
    session.flush()
    return announcement


def for_household(session: Session, household: Household, *, limit: int = 5) -> list[Announcement]:
    """What the household's building, compound, grid, subdistrict, district and city have announced."""
    building = session.get(Area, household.building_id)
    area_ids = [
        building.id,
        building.compound_id,
        building.committee_id,
        building.subdistrict_id,
        building.district_id,
        building.parent_id,
    ]
    city = session.scalar(select(Area.id).where(Area.parent_id.is_(None)))
    ids = {a for a in [*area_ids, city] if a}
    query = select(Announcement).where(Announcement.area_id.in_(ids)).order_by(Announcement.posted_at.desc())
    return list(session.scalars(query.limit(limit)))


def for_area(session: Session, principal: Principal, area_id: int, *, limit: int = 20) -> list[Announcement]:
    area = areas.get_area(session, principal, area_id)
    query = select(Announcement).where(Announcement.area_id == area.id).order_by(Announcement.posted_at.desc())
    return list(session.scalars(query.limit(limit)))


def notifications(session: Session, principal: Principal, *, unread_only: bool = False, limit: int = 50):
    query = select(Notification).where(Notification.user_id == principal.user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.urgent.desc(), Notification.id.desc()).limit(limit)))


def mark_read(session: Session, principal: Principal, notification_id: int, *, now: datetime) -> Notification:
    note = session.get(Notification, notification_id)
    if note is None or note.user_id != principal.user_id:
        raise NotificationNotFound(notification_id)
    note.read_at = note.read_at or now
    return note
