"""Deny by default, proved for every route: anonymous callers get 401, users of another grid 403/404."""

from __future__ import annotations

import pytest

from tests.access import NOT_AREA_SCOPED, declared_roles, protected_routes, route_cases
from tests.auth.factories import bearer


def _targets(tiny) -> dict:
    a = tiny.a
    return {
        "area_id": a.building.id,
        "parent_id": a.committee.id,
        "household_id": a.households[0].id,
        "person_id": a.persons[0].id,
    }


def _bodies(tiny) -> dict:
    a = tiny.a
    return {
        ("POST", "/api/households"): {"building_id": a.building.id, "unit": "2单元", "room": "201"},
        ("POST", "/api/persons"): {
            "household_id": a.households[1].id,
            "name": "新人",
            "sex": "F",
            "document_type": "none",
        },
        ("POST", "/api/persons/{person_id}/move"): {"household_id": a.households[1].id},
    }


def test_every_protected_route_declares_the_roles_it_admits(app):
    undeclared = [r.path for r in protected_routes(app) if declared_roles(r.route) is None]
    assert undeclared == []


def test_the_not_area_scoped_list_names_only_real_routes(app, tiny):
    keys = {c.key for c in route_cases(app, _targets(tiny), _bodies(tiny))}
    assert keys >= NOT_AREA_SCOPED


def test_anonymous_callers_get_401_on_every_protected_route(app, client, tiny):
    for case in route_cases(app, _targets(tiny), _bodies(tiny)):
        response = client.request(case.method, case.url, params=case.params, json=case.body)
        assert response.status_code == 401, (case.key, response.status_code, response.text[:200])


def test_a_forged_or_expired_token_gets_401(client, tiny):
    response = client.get("/api/areas", headers=bearer("not-a-real-token"))
    assert response.status_code == 401


@pytest.mark.parametrize("outsider", ["grid_b", "resident_b", "sampler_a", "lab"])
def test_users_of_another_grid_or_role_get_403_or_404_on_every_area_route(app, client, tiny, tokens, outsider):
    for case in route_cases(app, _targets(tiny), _bodies(tiny)):
        if case.key in NOT_AREA_SCOPED:
            continue
        response = client.request(
            case.method, case.url, params=case.params, json=case.body, headers=bearer(tokens[outsider])
        )
        assert response.status_code in (403, 404), (
            outsider,
            case.key,
            response.status_code,
            response.text[:200],
        )


@pytest.mark.parametrize("insider", ["grid_a", "subdistrict_a", "district_a"])
def test_users_of_the_grid_and_above_reach_every_read_route(app, client, tiny, tokens, insider):
    for case in route_cases(app, _targets(tiny), _bodies(tiny)):
        if case.method != "GET":
            continue
        response = client.get(case.url, params=case.params, headers=bearer(tokens[insider]))
        assert response.status_code == 200, (insider, case.key, response.status_code, response.text[:200])
