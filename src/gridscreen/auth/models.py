"""Users, the areas they may see, and login tokens (session cookie and API bearer token alike)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from gridscreen.db import Base


class Role(StrEnum):
    command = "command"  # 指挥部: whole city
    district = "district"
    subdistrict = "subdistrict"
    grid = "grid"  # grid worker of a committee
    sampler = "sampler"
    lab = "lab"
    resident = "resident"
    volunteer = "volunteer"  # answers residents' tickets at the door; sees only those assigned to them


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))  # where urgent notifications go by SMS
    # A resident user sees only this household.
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"))


class UserArea(Base):
    __tablename__ = "user_area"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), primary_key=True)


class AuthToken(Base):
    """A login: the raw token goes to the client once; only its SHA-256 is stored."""

    __tablename__ = "auth_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
