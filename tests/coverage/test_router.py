from tests.auth.factories import bearer
from tests.coverage.test_service import positive_pool  # noqa: F401  (fixture)

EN = {"Accept-Language": "en"}


def _url(round_, person):
    return f"/api/rounds/{round_.id}/missing/{person.id}"


def test_a_grid_worker_notes_why_someone_is_missing_and_the_list_shows_it(client, tiny, tokens, positive_pool):  # noqa: F811
    round_, _ = positive_pool
    missing = tiny.a.persons[2]
    answer = client.put(_url(round_, missing), json={"reason": "in_hospital"}, headers=bearer(tokens["grid_a"]))
    assert answer.status_code == 200 and answer.json() == {"reason": "in_hospital"}
    page = client.get(
        f"/api/rounds/{round_.id}/missing", params={"area_id": tiny.a.committee.id}, headers=bearer(tokens["grid_a"])
    ).json()
    [item] = page["items"]
    assert item["person"]["id"] == missing.id and item["reason"] == "in_hospital" and item["noted_at"]
    cleared = client.put(_url(round_, missing), json={"reason": None}, headers=bearer(tokens["grid_a"]))
    assert cleared.json() == {"reason": None}


def test_someone_already_sampled_cannot_be_noted_missing(client, tiny, tokens, positive_pool):  # noqa: F811
    round_, _ = positive_pool
    answer = client.put(
        _url(round_, tiny.a.persons[0]), json={"reason": "refused"}, headers={**bearer(tokens["grid_a"]), **EN}
    )
    assert answer.status_code == 409 and "have been sampled" in answer.json()["detail"]


def test_an_unknown_reason_is_refused_with_the_choices(client, tiny, tokens, positive_pool):  # noqa: F811
    round_, _ = positive_pool
    answer = client.put(
        _url(round_, tiny.a.persons[2]), json={"reason": "asleep"}, headers={**bearer(tokens["grid_a"]), **EN}
    )
    assert answer.status_code == 422 and "nobody_home" in answer.text


def test_a_worker_of_another_grid_cannot_note_this_grids_people(client, tiny, tokens, positive_pool):  # noqa: F811
    round_, _ = positive_pool
    answer = client.put(_url(round_, tiny.a.persons[2]), json={"reason": "refused"}, headers=bearer(tokens["grid_b"]))
    assert answer.status_code == 404


def test_a_sampler_downloads_the_grids_roster_masked_with_each_persons_state(client, tiny, tokens, positive_pool):  # noqa: F811
    round_, _ = positive_pool
    answer = client.get(
        f"/api/rounds/{round_.id}/roster", params={"area_id": tiny.a.committee.id}, headers=bearer(tokens["sampler_a"])
    )
    assert answer.status_code == 200
    roster = {e["person_id"]: e for e in answer.json()}
    assert set(roster) == {p.id for p in tiny.a.persons}
    held, waiting = tiny.a.persons[0], tiny.a.persons[2]
    assert (roster[held.id]["status"], roster[waiting.id]["status"]) == ("hold", "expected")
    assert all("*" in e["name"] for e in roster.values()) and all(e["address"] for e in roster.values())
    other = client.get(
        f"/api/rounds/{round_.id}/roster", params={"area_id": tiny.b.committee.id}, headers=bearer(tokens["sampler_a"])
    )
    assert other.status_code == 404
