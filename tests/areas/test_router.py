from tests.auth.factories import bearer


def test_the_drill_down_from_the_city_to_a_building(client, tiny, tokens):
    headers = bearer(tokens["command"])
    level_of = {}
    parent = tiny.city.id
    for expected in ("district", "subdistrict", "committee", "compound", "building"):
        page = client.get("/api/areas", params={"parent_id": parent}, headers=headers).json()
        assert page["items"], expected
        child = page["items"][0]
        level_of[child["id"]] = child["level"]
        assert child["level"] == expected
        parent = child["id"]
    detail = client.get(f"/api/areas/{parent}", headers=headers).json()
    assert [a["level"] for a in detail["ancestors"]] == ["city", "district", "subdistrict", "committee", "compound"]


def test_a_subdistrict_user_sees_only_their_part_of_the_tree(client, tiny, tokens):
    headers = bearer(tokens["subdistrict_a"])
    page = client.get("/api/areas", params={"limit": 500}, headers=headers).json()
    ids = {a["id"] for a in page["items"]}
    assert tiny.a.building.id in ids and tiny.a.subdistrict.id in ids
    assert tiny.b.building.id not in ids and tiny.city.id not in ids and tiny.a.district.id not in ids
    detail = client.get(f"/api/areas/{tiny.a.building.id}", headers=headers).json()
    assert [a["id"] for a in detail["ancestors"]] == [tiny.a.subdistrict.id, tiny.a.committee.id, tiny.a.compound.id]


def test_search_areas_by_name(client, tiny, tokens):
    page = client.get("/api/areas", params={"q": "乙"}, headers=bearer(tokens["command"])).json()
    assert {a["name"] for a in page["items"]} == {"乙区", "乙街道", "乙居委会", "乙小区"}


def test_an_unknown_level_is_a_clear_422(client, tiny, tokens):
    response = client.get("/api/areas", params={"level": "province"}, headers=bearer(tokens["command"]))
    assert response.status_code == 422 and "level" in response.json()["detail"]


def test_a_token_login_and_logout(client, tiny, tokens):
    from tests.auth.factories import PASSWORD

    assert tokens["grid_a"]  # creates the user
    response = client.post("/api/auth/token", json={"username": "grid_a", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["access_token"]
    assert client.get("/api/auth/me", headers=bearer(token)).json()["role"] == "grid"
    assert client.post("/api/auth/logout", headers=bearer(token)).status_code == 204
    assert client.get("/api/auth/me", headers=bearer(token)).status_code == 401


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, tiny, tokens):
    assert tokens["grid_a"]  # creates the user
    for username in ("grid_a", "nobody"):
        response = client.post(
            "/api/auth/token", json={"username": username, "password": "guess"}, headers={"Accept-Language": "en"}
        )
        assert response.status_code == 401 and response.json()["detail"] == "wrong user name or password"
