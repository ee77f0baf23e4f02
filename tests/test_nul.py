"""NUL characters (which PostgreSQL can't store) are refused with a 422 wherever text comes in."""

import pytest

from tests.auth.factories import bearer


def test_a_nul_in_a_json_body_is_refused(client, tiny):
    response = client.post("/api/auth/token", json={"username": "\x00", "password": "x"})
    assert (
        response.status_code == 422
        and "NUL"
        in client.post(
            "/api/auth/token", json={"username": "a\x00", "password": "x"}, headers={"Accept-Language": "en"}
        ).json()["detail"]
    )


@pytest.mark.parametrize("url", ["/api/tubes/SH%00", "/api/persons?q=%00", "/api/areas?q=a%00b"])
def test_a_nul_in_a_path_or_query_is_refused(client, tiny, tokens, url):
    assert client.get(url, headers=bearer(tokens["grid_a"])).status_code == 422


def test_a_nul_in_a_login_form_is_refused(client, tiny):
    response = client.post("/login", data={"username": "\x00", "password": "x"})
    assert response.status_code == 422
