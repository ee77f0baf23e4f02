from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from gridscreen.areas import schemas, service
from gridscreen.areas.models import Level
from gridscreen.auth.deps import StaffUser
from gridscreen.http import DbSession, Page
from gridscreen.ids import PathId, QueryId

router = APIRouter(prefix="/api", tags=["areas"])


@router.get("/areas", response_model=schemas.AreaPage)
def list_areas(
    db: DbSession,
    user: StaffUser,
    page: Page,
    parent_id: QueryId = None,
    level: Level | None = None,
    q: Annotated[str | None, Query(max_length=100, description="part of a name, or a code")] = None,
) -> schemas.AreaPage:
    items, total = service.list_areas(
        db, user, parent_id=parent_id, level=level, q=q, limit=page.limit, offset=page.offset
    )
    return schemas.AreaPage(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/areas/{area_id}", response_model=schemas.AreaDetail)
def get_area(area_id: PathId, db: DbSession, user: StaffUser) -> schemas.AreaDetail:
    area = service.get_area(db, user, area_id)
    ancestors = service.visible_ancestors(db, user, area)
    return schemas.AreaDetail.model_validate(
        {**schemas.AreaOut.model_validate(area).model_dump(), "ancestors": ancestors}
    )


@router.get("/blocks", response_model=list[schemas.BlockOut])
def list_blocks(db: DbSession, user: StaffUser) -> list[schemas.BlockOut]:
    return [
        schemas.BlockOut(
            id=b.id,
            code=b.code,
            name=b.name,
            name_en=b.name_en,
            start_date=b.start_date,
            end_date=b.end_date,
            area_ids=area_ids,
        )
        for b, area_ids in service.list_blocks(db)
    ]
