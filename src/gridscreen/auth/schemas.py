from __future__ import annotations

from pydantic import BaseModel, Field

from gridscreen.auth.models import Role


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"


class MeOut(BaseModel):
    username: str
    display_name: str
    role: Role
    area_ids: list[int]
    household_id: int | None
