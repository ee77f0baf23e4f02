from tests.auth.factories import bearer


def _ticket(client, token, **extra):
    headers = bearer(token) | {"Accept-Language": "en"}
    return client.post("/api/tickets", json={"category": "medicine", "details": "insulin"} | extra, headers=headers)


def test_a_resident_files_a_ticket_and_sees_it_with_its_history(client, tokens, tiny):
    created = _ticket(client, tokens["resident_a"])
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["status"], body["level"], body["household_id"]) == ("open", "committee", tiny.a.households[0].id)
    assert [e["kind"] for e in body["events"]] == ["filed"]
    mine = client.get("/api/tickets", headers=bearer(tokens["resident_a"])).json()
    assert [t["id"] for t in mine["tickets"]] == [body["id"]]


def test_staff_file_for_a_grid_when_the_household_is_unknown_and_must_say_where(client, tokens, tiny):
    nowhere = _ticket(client, tokens["grid_a"])
    assert nowhere.status_code == 422 and "household" in nowhere.json()["detail"]
    by_grid = _ticket(client, tokens["grid_a"], grid_id=tiny.a.committee.id, address="3号楼 门口")
    assert by_grid.status_code == 201 and by_grid.json()["household_id"] is None


def test_resolving_needs_an_outcome_and_a_note(client, tokens):
    ticket = _ticket(client, tokens["resident_a"]).json()
    url = f"/api/tickets/{ticket['id']}/resolve"
    assert client.post(url, json={"outcome": "done"}, headers=bearer(tokens["grid_a"])).status_code == 422
    done = client.post(url, json={"outcome": "done", "note": "pharmacy delivered"}, headers=bearer(tokens["grid_a"]))
    assert done.json()["status"] == "resolved"
    again = client.post(url, json={"outcome": "done", "note": "x"}, headers=bearer(tokens["grid_a"]))
    assert again.status_code == 409


def test_contact_phones_are_masked_for_residents_and_shown_to_those_who_call_back(client, tokens):
    ticket = _ticket(client, tokens["resident_a"], contact_phone="13912345678").json()
    assert ticket["contact_phone"] != "13912345678"
    seen = client.get(f"/api/tickets/{ticket['id']}", headers=bearer(tokens["grid_a"])).json()
    assert seen["contact_phone"] == "13912345678"


def test_a_grid_registers_a_volunteer_who_then_gets_new_tickets(client, tokens, tiny):
    volunteer = client.post(
        "/api/volunteers",
        json={"username": "vol_li", "password": "long enough pw", "display_name": "李",
              "grid_ids": [tiny.a.committee.id], "shift_start": "00:00", "shift_end": "23:59"},
        headers=bearer(tokens["grid_a"]),
    )  # fmt: skip
    assert volunteer.status_code == 201, volunteer.text
    ticket = _ticket(client, tokens["resident_a"]).json()
    assert ticket["assignee"] == "李"
    listed = client.get("/api/volunteers", params={"grid_id": tiny.a.committee.id}, headers=bearer(tokens["grid_a"]))
    assert listed.json()[0]["load"] == 1


def test_deliveries_reach_households_and_the_rest_are_listed_as_unreached(client, tokens, tiny):
    headers = bearer(tokens["grid_a"])
    plan = {"compound_id": tiny.a.compound.id, "household_id": tiny.a.households[0].id, "kind": "food",
            "items": "veg pack", "quantity": 1, "planned_for": "2022-04-10"}  # fmt: skip
    planned = client.post("/api/deliveries", json=plan, headers=headers)
    assert planned.status_code == 201, planned.text
    params = {"grid_id": tiny.a.committee.id, "since": "2022-04-01"}
    before = client.get("/api/deliveries/unreached", params=params, headers=headers).json()
    assert before["unreached"] == len(tiny.a.households)
    done = client.post(f"/api/deliveries/{planned.json()['id']}/delivered", json={"quantity": 1}, headers=headers)
    assert done.status_code == 200 and done.json()["delivered_quantity"] == 1
    after = client.get("/api/deliveries/unreached", params=params, headers=headers).json()
    assert after["unreached"] == len(tiny.a.households) - 1
    wrong = client.post("/api/deliveries", json={"compound_id": tiny.a.building.id, "kind": "food", "items": "x",
                        "quantity": 1, "planned_for": "2022-04-10"}, headers=headers)  # fmt: skip
    assert wrong.status_code == 422 and "小区" in wrong.json()["detail"]


def test_only_the_command_centre_sets_deadlines(client, tokens):
    body = {"acknowledge_minutes": 10, "resolve_minutes": 5}
    assert client.put("/api/ticket-deadlines/garbage", json=body, headers=bearer(tokens["command"])).status_code == 422
    body = {"acknowledge_minutes": 10, "resolve_minutes": 50}
    assert client.put("/api/ticket-deadlines/garbage", json=body, headers=bearer(tokens["grid_a"])).status_code == 403
    assert client.put("/api/ticket-deadlines/garbage", json=body, headers=bearer(tokens["command"])).status_code == 200
    listed = client.get("/api/ticket-deadlines", headers=bearer(tokens["grid_a"])).json()
    assert {"category": "garbage", "acknowledge_minutes": 10, "resolve_minutes": 50} in listed
