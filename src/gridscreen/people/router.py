from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from gridscreen import clock
from gridscreen.auth.deps import ResidentOrStaff, RosterKeeper, StaffUser
from gridscreen.http import DbSession, Page
from gridscreen.ids import MAX_ID, PathId, QueryId
from gridscreen.people import schemas, service

router = APIRouter(prefix="/api", tags=["people"])


@router.get("/households", response_model=schemas.HouseholdPage)
def list_households(
    area_id: Annotated[int, Query(ge=1, le=MAX_ID)], db: DbSession, user: StaffUser, page: Page
) -> schemas.HouseholdPage:
    items, total = service.list_households(db, user, area_id=area_id, limit=page.limit, offset=page.offset)
    return schemas.HouseholdPage(
        items=[service.present_household(db, h) for h in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/households", response_model=schemas.HouseholdOut, status_code=201)
def create_household(data: schemas.HouseholdIn, db: DbSession, user: RosterKeeper) -> schemas.HouseholdOut:
    return service.present_household(db, service.create_household(db, user, data))


@router.get("/households/{household_id}", response_model=schemas.HouseholdDetail)
def get_household(household_id: PathId, db: DbSession, user: ResidentOrStaff) -> schemas.HouseholdDetail:
    household = service.get_household(db, user, household_id)
    persons, _ = service.search_persons(db, user, household_id=household.id, limit=500)
    return schemas.HouseholdDetail(
        **service.present_household(db, household).model_dump(),
        persons=[service.present_person(user, p, detail=True) for p in persons],
    )


@router.get("/persons", response_model=schemas.PersonPage)
def search_persons(
    db: DbSession,
    user: ResidentOrStaff,
    page: Page,
    area_id: QueryId = None,
    household_id: QueryId = None,
    q: Annotated[str | None, Query(max_length=64, description="name prefix, document number or phone")] = None,
    door_only: Annotated[bool, Query(description="only people sampled at their door")] = False,
) -> schemas.PersonPage:
    items, total = service.search_persons(
        db,
        user,
        area_id=area_id,
        household_id=household_id,
        q=q,
        door_only=door_only,
        limit=page.limit,
        offset=page.offset,
    )
    return schemas.PersonPage(
        items=[service.present_person(user, p, detail=False) for p in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/persons", response_model=schemas.PersonOut, status_code=201)
def add_person(data: schemas.PersonIn, db: DbSession, user: RosterKeeper) -> schemas.PersonOut:
    person = service.add_person(db, user, data, today=clock.now().date())
    return service.present_person(user, person, detail=True)


@router.get("/persons/{person_id}", response_model=schemas.PersonOut)
def get_person(person_id: PathId, db: DbSession, user: ResidentOrStaff) -> schemas.PersonOut:
    return service.present_person(user, service.get_person(db, user, person_id), detail=True)


@router.post("/persons/{person_id}/move", response_model=schemas.PersonOut)
def move_person(person_id: PathId, data: schemas.MoveIn, db: DbSession, user: RosterKeeper) -> schemas.PersonOut:
    person = service.move_person(db, user, person_id=person_id, household_id=data.household_id)
    return service.present_person(user, person, detail=True)
