from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from gridscreen.areas.models import Level


class AreaOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    parent_id: int | None
    level: Level
    code: str
    name: str
    name_en: str | None
    lat: float | None
    lon: float | None
    residents: int
    households: int
    buildings: int
    door_to_door: int


class AreaPage(BaseModel):
    items: list[AreaOut]
    total: int
    limit: int
    offset: int


class AreaDetail(AreaOut):
    ancestors: list[AreaOut]


class BlockOut(BaseModel):
    id: int
    code: str
    name: str
    name_en: str | None
    start_date: date
    end_date: date | None
    area_ids: list[int]
