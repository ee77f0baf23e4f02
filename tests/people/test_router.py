from datetime import date

from sqlalchemy import func, select

from gridscreen.people.identity import make_resident_id
from gridscreen.people.models import Person
from tests.auth.factories import bearer

EN = {"Accept-Language": "en"}


def _headers(tokens, who):
    return {**bearer(tokens[who]), **EN}


def test_a_grid_worker_adds_a_person_found_on_a_sweep(client, tiny, tokens, db):
    number = make_resident_id("320102", date(1992, 3, 4), 11)
    response = client.post(
        "/api/persons",
        json={
            "household_id": tiny.a.households[1].id,
            "name": " 陈静 ",
            "sex": "M",
            "birth_date": "1992-03-04",
            "phone": "+86 139-0000-1111",
            "document_type": "resident_id",
            "document_number": number.lower(),
        },
        headers=_headers(tokens, "grid_a"),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "陈静" and body["document_number"] == number and body["phone"] == "13900001111"
    assert body["registered_elsewhere"] is True
    db.refresh(tiny.a.committee)
    assert tiny.a.committee.residents == 4


def test_an_invalid_id_number_gets_422_with_the_reason_and_writes_nothing(client, tiny, tokens, db):
    before = db.scalar(select(func.count()).select_from(Person))
    number = make_resident_id("310104", date(1990, 1, 1), 3)
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    response = client.post(
        "/api/persons",
        json={
            "household_id": tiny.a.households[1].id,
            "name": "赵敏",
            "sex": "M",
            "birth_date": "1990-01-01",
            "document_type": "resident_id",
            "document_number": wrong,
        },
        headers=_headers(tokens, "grid_a"),
    )
    assert response.status_code == 422
    assert response.json()["detail"] == f"resident ID check character should be {number[-1]}, not {wrong[-1]}"
    assert db.scalar(select(func.count()).select_from(Person)) == before


def test_errors_are_in_chinese_unless_english_is_asked_for(client, tiny, tokens):
    response = client.get("/api/areas/999999", headers=bearer(tokens["grid_a"]))
    assert response.status_code == 404
    assert response.json()["detail"] == "区域 999999 不存在或不在您的辖区内"


def test_a_malformed_request_names_the_field(client, tiny, tokens):
    response = client.post("/api/persons", json={"household_id": "abc", "sex": "X"}, headers=_headers(tokens, "grid_a"))
    assert response.status_code == 422
    fields = {p["field"] for p in response.json()["problems"]}
    assert {"household_id", "sex", "name", "document_type"} <= fields


def test_moving_a_person_between_households_of_the_grid(client, tiny, tokens):
    person = tiny.a.persons[0]
    response = client.post(
        f"/api/persons/{person.id}/move",
        json={"household_id": tiny.a.households[1].id},
        headers=_headers(tokens, "grid_a"),
    )
    assert response.status_code == 200
    detail = client.get(f"/api/households/{tiny.a.households[1].id}", headers=_headers(tokens, "grid_a")).json()
    assert person.id in {p["id"] for p in detail["persons"]} and detail["residents"] == 2


def test_moving_into_the_same_household_is_a_conflict(client, tiny, tokens):
    person = tiny.a.persons[0]
    response = client.post(
        f"/api/persons/{person.id}/move", json={"household_id": person.household_id}, headers=_headers(tokens, "grid_a")
    )
    assert response.status_code == 409


def test_person_lists_are_paginated_and_masked(client, tiny, tokens):
    first = client.get(
        "/api/persons", params={"area_id": tiny.a.district.id, "limit": 2}, headers=_headers(tokens, "district_a")
    ).json()
    assert first["total"] == 3 and len(first["items"]) == 2
    rest = client.get(
        "/api/persons",
        params={"area_id": tiny.a.district.id, "limit": 2, "offset": 2},
        headers=_headers(tokens, "district_a"),
    ).json()
    assert len(rest["items"]) == 1
    assert all(p["masked"] and "*" in p["document_number"] for p in first["items"] + rest["items"])


def test_a_resident_sees_only_their_own_household_in_full(client, tiny, tokens):
    own = client.get("/api/persons", headers=_headers(tokens, "resident_a")).json()
    assert {p["household_id"] for p in own["items"]} == {tiny.a.households[0].id}
    detail = client.get(f"/api/households/{tiny.a.households[0].id}", headers=_headers(tokens, "resident_a"))
    assert detail.status_code == 200 and not any(p["masked"] for p in detail.json()["persons"])
    other = client.get(f"/api/households/{tiny.a.households[1].id}", headers=_headers(tokens, "resident_a"))
    assert other.status_code == 404


def test_adding_a_household_in_a_compound_instead_of_a_building_is_refused(client, tiny, tokens):
    response = client.post(
        "/api/households",
        json={"building_id": tiny.a.compound.id, "unit": "1单元", "room": "301"},
        headers=_headers(tokens, "grid_a"),
    )
    assert response.status_code == 422
    assert "not a building" in response.json()["detail"]


def test_door_to_door_list_of_a_grid(client, tiny, tokens):
    response = client.get(
        "/api/persons", params={"area_id": tiny.a.committee.id, "door_only": True}, headers=_headers(tokens, "grid_a")
    ).json()
    assert [p["name"] for p in response["items"]] == ["李秀英"] and response["items"][0]["door_reasons"] == ["very_old"]
