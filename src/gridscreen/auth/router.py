from __future__ import annotations

from fastapi import APIRouter, Request

from gridscreen import clock
from gridscreen.auth import schemas, service
from gridscreen.auth.deps import AnyUser, request_token
from gridscreen.config import get_settings
from gridscreen.http import DbSession

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/token", response_model=schemas.TokenOut, openapi_extra={"x-public": True})
def issue_token(data: schemas.LoginIn, db: DbSession) -> schemas.TokenOut:
    token = service.log_in(
        db,
        username=data.username,
        password=data.password,
        now=clock.now(),
        hours=get_settings().session_hours,
    )
    return schemas.TokenOut(access_token=token)


@router.post("/logout", status_code=204)
def log_out(request: Request, db: DbSession, user: AnyUser) -> None:
    service.log_out(db, token=request_token(request) or "")


@router.get("/me", response_model=schemas.MeOut)
def me(user: AnyUser) -> schemas.MeOut:
    return schemas.MeOut(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        area_ids=[g.area_id for g in user.grants],
        household_id=user.household_id,
    )
