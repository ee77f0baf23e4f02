from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from gridscreen import clock
from gridscreen.auth.deps import StaffUser, require
from gridscreen.auth.models import Role
from gridscreen.auth.principal import STAFF_ROLES, Principal
from gridscreen.coverage import schemas, service
from gridscreen.http import DbSession, Page
from gridscreen.ids import MAX_ID, PathId

router = APIRouter(prefix="/api/rounds", tags=["coverage"])
AreaParam = Annotated[int, Query(ge=1, le=MAX_ID)]
# The door-to-door teams work from these lists too.
FieldUser = Annotated[Principal, Depends(require(*STAFF_ROLES, Role.sampler))]


@router.get("/{round_id}/coverage", response_model=schemas.CoverageOut)
def coverage(round_id: PathId, area_id: AreaParam, db: DbSession, user: StaffUser):
    return service.coverage(db, user, round_id, area_id)


@router.get("/{round_id}/missing", response_model=schemas.MissingPage)
def missing(round_id: PathId, area_id: AreaParam, db: DbSession, user: FieldUser, page: Page):
    items, total = service.missing(db, user, round_id, area_id, limit=page.limit, offset=page.offset)
    return schemas.MissingPage(items=items, total=total, limit=page.limit, offset=page.offset)


@router.put("/{round_id}/missing/{person_id}", response_model=schemas.MissingNote)
def note_missing(round_id: PathId, person_id: PathId, note: schemas.MissingNote, db: DbSession, user: FieldUser):
    """What a door-knock found out about someone still missing: nobody home, refused, in hospital, moved..."""
    pr = service.note_missing(db, user, round_id, person_id, note.reason, now=clock.now())
    return schemas.MissingNote(reason=pr.missing_reason)


@router.get("/{round_id}/roster", response_model=list[schemas.RosterEntry])
def roster(round_id: PathId, area_id: AreaParam, db: DbSession, user: FieldUser) -> list:
    """A grid's whole roster for the round, masked: the sampler app keeps it to work without a network."""
    return service.roster(db, user, round_id, area_id)


@router.get("/{round_id}/exceptions", response_model=list[schemas.PoolException])
def exceptions(round_id: PathId, area_id: AreaParam, db: DbSession, user: StaffUser) -> list:
    return service.pool_exceptions(db, user, round_id, area_id, now=clock.now())


@router.get("/{round_id}/retests", response_model=schemas.RetestPage)
def retests(round_id: PathId, area_id: AreaParam, db: DbSession, user: FieldUser, page: Page):
    items, total = service.retests(db, user, round_id, area_id, now=clock.now(), limit=page.limit, offset=page.offset)
    return schemas.RetestPage(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{round_id}/found", response_model=schemas.MissingPage)
def found(round_id: PathId, area_id: AreaParam, db: DbSession, user: StaffUser, page: Page):
    """People on no list who were sampled in the grid, waiting to be placed in their real household."""
    items, total = service.found_at_site(db, user, round_id, area_id, limit=page.limit, offset=page.offset)
    return schemas.MissingPage(items=items, total=total, limit=page.limit, offset=page.offset)
