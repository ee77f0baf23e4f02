"""A small, exact city for tests: two districts, each with one grid, its compound, building and households."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from gridscreen.areas.models import Area, Level
from gridscreen.auth.models import Role
from gridscreen.auth.principal import AreaGrant, Principal
from gridscreen.people import service as people
from gridscreen.people.identity import make_resident_id
from gridscreen.people.models import Household, Person
from gridscreen.people.schemas import HouseholdIn, PersonIn

_counter = iter(range(1, 10_000_000))


def make_area(session: Session, level: Level, name: str, parent: Area | None = None, **extra) -> Area:
    n = next(_counter)
    code = f"{parent.code}{n:03d}" if parent else f"31{n:04d}"
    area = Area(level=level, code=code, name=name, parent_id=parent.id if parent else None, **extra)
    if parent is not None:
        for column in ("district_id", "subdistrict_id", "committee_id", "compound_id"):
            setattr(area, column, getattr(parent, column))
        if parent.level != Level.city:
            setattr(area, f"{parent.level}_id", parent.id)
    area.residents = area.households = area.buildings = area.door_to_door = 0
    session.add(area)
    session.flush()
    return area


def system_principal(city: Area) -> Principal:
    return Principal(
        user_id=0,
        username="system",
        display_name="system",
        role=Role.command,
        grants=(AreaGrant(city.id, Level.city),),
    )


@dataclass
class Grid:
    district: Area
    subdistrict: Area
    committee: Area
    compound: Area
    building: Area
    households: list[Household] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)


@dataclass
class TinyCity:
    city: Area
    a: Grid
    b: Grid


def make_grid(session: Session, city: Area, tag: str, district_code: str) -> Grid:
    district = make_area(session, Level.district, f"{tag}区", city)
    district.code = district_code
    subdistrict = make_area(session, Level.subdistrict, f"{tag}街道", district)
    committee = make_area(session, Level.committee, f"{tag}居委会", subdistrict)
    compound = make_area(session, Level.compound, f"{tag}小区", committee)
    building = make_area(session, Level.building, "1号楼", compound, lat=31.2, lon=121.5)
    for area in (city, district, subdistrict, committee, compound, building):
        area.buildings += 1
    grid = Grid(district, subdistrict, committee, compound, building)
    system = system_principal(city)
    for room in ("101", "102"):
        grid.households.append(
            people.create_household(session, system, HouseholdIn(building_id=building.id, unit="1单元", room=room))
        )
    return grid


def add_resident(
    session: Session,
    city: Area,
    household: Household,
    name: str,
    *,
    sex: str = "F",
    birth: date = date(1980, 5, 17),
    sequence: int | None = None,
    door_reasons: list[str] | None = None,
    phone: str = "13812345678",
) -> Person:
    seq = sequence if sequence is not None else next(_counter) % 500 * 2 + (1 if sex == "M" else 0)
    number = make_resident_id("310115", birth, seq)
    return people.add_person(
        session,
        system_principal(city),
        PersonIn(
            household_id=household.id,
            name=name,
            sex=sex,
            birth_date=birth,
            phone=phone,
            document_type="resident_id",
            document_number=number,
            door_reasons=door_reasons or [],
        ),
        today=date(2022, 4, 1),
    )


def make_tiny_city(session: Session) -> TinyCity:
    city = make_area(session, Level.city, "上海市")
    city.code = f"3100{next(_counter):05d}"
    a = make_grid(session, city, "甲", f"3101{next(_counter):05d}")
    b = make_grid(session, city, "乙", f"3101{next(_counter):05d}")
    for grid in (a, b):
        grid.persons.append(add_resident(session, city, grid.households[0], "张伟", sex="M"))
        grid.persons.append(add_resident(session, city, grid.households[0], "王芳"))
        grid.persons.append(
            add_resident(session, city, grid.households[1], "李秀英", birth=date(1931, 2, 3), door_reasons=["very_old"])
        )
    session.flush()
    return TinyCity(city=city, a=a, b=b)
