from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from gridscreen.areas.models import Area
from gridscreen.auth.models import Role
from gridscreen.auth.principal import AreaGrant, Principal
from gridscreen.people import service
from gridscreen.people.exceptions import DocumentAlreadyRegistered, HouseholdNotFound, PersonNotFound
from gridscreen.people.identity import InvalidDocument, make_resident_id
from gridscreen.people.models import Person
from gridscreen.people.schemas import PersonIn


def grid_worker(area: Area) -> Principal:
    return Principal(1, "g", "g", Role.grid, (AreaGrant(area.id, area.level),))


def test_counts_on_every_level_match_the_rows(db, tiny):
    for area in (tiny.city, tiny.a.district, tiny.a.committee, tiny.a.building, tiny.b.building):
        db.refresh(area)
    assert tiny.city.residents == db.scalar(select(func.count()).select_from(Person)) == 6
    assert tiny.a.district.residents == 3 and tiny.a.building.households == 2
    assert tiny.city.door_to_door == 2 and tiny.a.committee.door_to_door == 1


def test_moving_a_person_moves_the_counts_up_both_chains(db, tiny):
    person = tiny.a.persons[2]  # very old: counted as door-to-door
    service.move_person(db, grid_worker(tiny.city), person_id=person.id, household_id=tiny.b.households[1].id)
    for area in (tiny.a.district, tiny.b.district, tiny.a.building, tiny.b.building, tiny.city):
        db.refresh(area)
    assert (tiny.a.district.residents, tiny.b.district.residents) == (2, 4)
    assert (tiny.a.building.door_to_door, tiny.b.building.door_to_door) == (0, 2)
    assert tiny.city.residents == 6
    assert db.get(Person, person.id).committee_id == tiny.b.committee.id


def test_a_grid_worker_cannot_move_someone_into_another_grid(db, tiny):
    with pytest.raises(HouseholdNotFound):
        service.move_person(
            db,
            grid_worker(tiny.a.committee),
            person_id=tiny.a.persons[0].id,
            household_id=tiny.b.households[0].id,
        )


def test_a_grid_worker_cannot_see_a_person_of_another_grid(db, tiny):
    with pytest.raises(PersonNotFound):
        service.get_person(db, grid_worker(tiny.a.committee), tiny.b.persons[0].id)


def test_adding_a_person_with_a_registered_document_is_refused(db, tiny):
    existing = tiny.a.persons[0]
    data = PersonIn(
        household_id=tiny.a.households[1].id,
        name="张伟",
        sex="M",
        birth_date=existing.birth_date,
        document_type="resident_id",
        document_number=existing.document_number,
    )
    with pytest.raises(DocumentAlreadyRegistered):
        service.add_person(db, grid_worker(tiny.a.committee), data, today=date(2022, 4, 1))


def test_an_id_number_that_disagrees_with_the_birth_date_is_refused(db, tiny):
    data = PersonIn(
        household_id=tiny.a.households[1].id,
        name="赵敏",
        sex="F",
        birth_date=date(1990, 1, 1),
        document_type="resident_id",
        document_number=make_resident_id("310104", date(1991, 1, 1), 2),
    )
    with pytest.raises(InvalidDocument, match="born 1991-01-01"):
        service.add_person(db, grid_worker(tiny.a.committee), data, today=date(2022, 4, 1))


def test_search_finds_a_person_by_id_number_typed_with_lower_case_x_or_by_phone(db, tiny):
    person = tiny.a.persons[1]
    principal = grid_worker(tiny.a.committee)
    found, total = service.search_persons(db, principal, q=person.document_number.lower())
    assert person in found
    found, _ = service.search_persons(db, principal, q="138 1234 5678")
    assert {p.committee_id for p in found} == {tiny.a.committee.id}


def test_lists_mask_documents_and_phones_but_a_grid_worker_sees_them_in_detail(db, tiny):
    person = tiny.a.persons[0]
    principal = grid_worker(tiny.a.committee)
    listed = service.present_person(principal, person, detail=False)
    assert listed.masked and "*" in listed.document_number and listed.phone == "138****5678"
    shown = service.present_person(principal, person, detail=True)
    assert shown.document_number == person.document_number and not shown.masked
    command = Principal(2, "c", "c", Role.command, (AreaGrant(tiny.city.id, tiny.city.level),))
    assert service.present_person(command, person, detail=True).masked


def test_settling_the_roster_adds_moves_and_takes_off_people_and_the_counts_follow(db, tiny):
    old = tiny.a.persons[2]  # very old, alone in the grid's second household: counted as door-to-door
    mover = tiny.b.persons[0]
    home = tiny.a.households[0]
    entries = [
        # Someone new, in a flat the table lacks; and someone moving into grid A's first flat, written as the list
        # writes it ("01" is the room the table holds as "1").
        service.RosterEntry(
            None, 900, tiny.a.building.id, "9", "901", "赵敏", "F", date(1990, 1, 1), None, "none", None
        ),  # fmt: skip
        service.RosterEntry(
            mover.id,
            901,
            tiny.a.building.id,
            f"0{home.unit}",
            f"0{home.room}",
            mover.name,
            "M",
            None,
            None,
            "resident_id",
            mover.document_number,
        ),  # fmt: skip
    ]
    change = service.settle_roster(db, entries, [(old.id, "deceased", 902)], now=datetime(2022, 4, 5, tzinfo=UTC),
                                   fold=lambda text: text.lstrip("0"))  # fmt: skip
    assert (change.joined, change.moved, change.left) == (1, 1, 1)
    db.expire_all()
    assert db.get(Person, mover.id).household_id == home.id and db.get(Person, mover.id).roster_record_id == 901
    assert db.get(Person, old.id).left_reason == "deceased"
    assert (tiny.a.building.residents, tiny.a.building.households, tiny.a.building.door_to_door) == (4, 2, 0)
    assert (tiny.b.building.residents, tiny.city.residents, tiny.city.door_to_door) == (2, 6, 1)
    listed, total = service.search_persons(db, grid_worker(tiny.city), area_id=tiny.a.building.id)
    assert old.id not in {p.id for p in listed} and total == len(listed) == 4
