import pytest

from tests.auth.factories import bearer


@pytest.mark.parametrize(
    "url",
    ["/api/areas/3000000000", "/api/areas?parent_id=3000000000", "/api/persons?area_id=99999999999999999999"],
)
def test_an_id_beyond_the_database_range_is_a_422_not_a_crash(client, tiny, tokens, url):
    response = client.get(url, headers=bearer(tokens["command"]))
    assert response.status_code == 422


def test_a_body_id_beyond_the_database_range_is_a_422(client, tiny, tokens):
    response = client.post("/api/persons/1/move", json={"household_id": 2**40}, headers=bearer(tokens["grid_a"]))
    assert response.status_code == 422
