"""Deny by default, proved for every route: anonymous callers get 401, users of another grid 403/404."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gridscreen.auth.models import Role, User
from gridscreen.support import notify, supplies
from gridscreen.support import service as support
from gridscreen.support.models import Notification
from gridscreen.support.schemas import DeliveryIn, TicketIn
from tests.access import NOT_AREA_SCOPED, declared_roles, protected_routes, route_cases
from tests.areas.factories import system_principal
from tests.auth.factories import bearer
from tests.lab.factories import make_lab
from tests.lab.test_service import swab
from tests.roster.factories import roster_scene
from tests.sampling.factories import new_barcode, open_round, sampler_of, site_in

OUTSIDERS = ("grid_b", "sampler_b", "lab_b", "resident_b", "district_b", "volunteer_b")
INSIDERS = {"grid_a": Role.grid, "subdistrict_a": Role.subdistrict, "district_a": Role.district,
            "sampler_a": Role.sampler, "lab_a": Role.lab, "command": Role.command}  # fmt: skip


@pytest.fixture
def scene(db, tiny, tokens):
    """Something of every kind inside grid A: a round, a site, a tube, a box at a lab of district A."""
    a = tiny.a
    round_ = open_round(db, tiny)
    site = site_in(db, round_, a)
    sampler = sampler_of(a.committee)
    lab, lab_user = make_lab(db, a.district)
    tube, _ = swab(db, sampler, round_, a.persons[:1], site)
    shipped, _ = swab(db, sampler, round_, a.persons[1:2], site)
    from gridscreen.lab import service as lab_service
    from gridscreen.lab.schemas import ShipmentIn
    from tests.sampling.factories import NOW

    lab_service.create_shipment(
        db, sampler, ShipmentIn(round_id=round_.id, code="BOX-A", lab_id=lab.id, barcodes=[shipped]), now=NOW
    )
    tokens.plans.update(
        {
            "sampler_b": (db, "sampler_b", Role.sampler, [tiny.b.committee]),
            "lab_a": (db, "lab_a", Role.lab, [a.district]),
            "lab_b": (db, "lab_b", Role.lab, [tiny.b.district]),
            "district_b": (db, "district_b", Role.district, [tiny.b.district]),
            "volunteer_b": (db, "volunteer_b", Role.volunteer, [tiny.b.committee]),
        }
    )
    from gridscreen.planning import plans

    plans.make_plan(db, round_.id, now=NOW)
    ticket = support.file_ticket(
        db,
        system_principal(tiny.city),
        TicketIn(category="groceries", details="rice", household_id=a.households[0].id),
        now=NOW,
    )
    delivery = supplies.plan_delivery(
        db,
        system_principal(tiny.city),
        DeliveryIn(compound_id=a.compound.id, kind="food", items="veg", quantity=1, planned_for="2022-04-04"),
    )
    tokens["grid_a"]  # noqa: B018 - creates grid A's worker, who owns the notification
    grid_worker = db.scalar(select(User.id).where(User.username == "grid_a"))
    notify.queue(db, [grid_worker], text="new ticket", now=NOW, ticket_id=ticket.id)
    notification = db.scalars(select(Notification)).first()
    pair, task, person_key = roster_scene(db, tiny)
    targets = {
        "ticket_id": ticket.id,
        "service_request_id": ticket.id,
        "delivery_id": delivery.id,
        "notification_id": notification.id,
        "category": "garbage",
        "service_code": "groceries",
        "fmt": "json",
        "grid_id": a.committee.id,
        "jurisdiction_id": a.committee.code,
        "area_id": a.committee.id,
        "parent_id": a.committee.id,
        "household_id": a.households[0].id,
        "person_id": a.persons[0].id,
        "round_id": round_.id,
        "barcode": tube,
        "code": "BOX-A",
        "lab_id": lab.id,
        "kind": "beds",
        "site_id": site.id,
        "pair_id": pair,
        "task_id": task,
        "person_key": person_key,
    }
    bodies = {
        ("POST", "/api/households"): {"building_id": a.building.id, "unit": "2单元", "room": "201"},
        ("POST", "/api/persons"): {
            "household_id": a.households[1].id, "name": "新人", "sex": "F", "document_type": "none",
        },
        ("POST", "/api/persons/{person_id}/move"): {"household_id": a.households[1].id},
        ("POST", "/api/rounds"): {"code": "X", "name": "x", "blocks": [{"block_id": 1, "sample_date": "2022-04-04"}]},
        ("PUT", "/api/rounds/{round_id}/policies"): {"area_id": a.committee.id, "zone": "sealed", "pooling": "single"},
        ("POST", "/api/rounds/{round_id}/sites"): {"code": "S9", "name": "x", "committee_id": a.committee.id},
        ("POST", "/api/rounds/{round_id}/routes"): {"code": "R9", "committee_id": a.committee.id},
        ("POST", "/api/scans"): {
            "device_id": "dev-x", "round_id": round_.id,
            "scans": [{"device_seq": 1, "tube": new_barcode(), "site_id": site.id,
                       "scanned_at": "2022-04-04T08:00:00+08:00", "document_type": "none"}],
        },
        ("PUT", "/api/rounds/{round_id}/missing/{person_id}"): {"reason": "nobody_home"},
        ("PUT", "/api/supports/{kind}/reports"): {"area_id": a.district.id, "day": "2022-04-04", "have": 1, "need": 2},
        ("PUT", "/api/supports/{kind}/thresholds"): {"amber_below": 0.9, "red_below": 0.8},
        ("POST", "/supports/{kind}/report"): {"area": a.district.id, "day": "2022-04-04", "have": 1, "need": 2},
        ("POST", "/supports/{kind}/thresholds"): {"area": a.district.id, "amber_below": 90, "red_below": 80},
        ("POST", "/api/labs"): {"code": "L9", "name": "x", "area_id": a.district.id, "tubes_per_day": 10},
        ("POST", "/api/shipments"): {"round_id": round_.id, "code": "BOX-9", "lab_id": lab.id, "barcodes": [tube]},
        ("POST", "/api/shipments/{code}/receive"): {"barcodes": [shipped]},
        ("POST", "/api/tickets"): {"category": "groceries", "details": "eggs", "household_id": a.households[0].id},
        ("POST", "/api/tickets/{ticket_id}/assign"): {},
        ("POST", "/api/tickets/{ticket_id}/notes"): {"note": "on my way"},
        ("POST", "/api/tickets/{ticket_id}/resolve"): {"outcome": "done", "note": "delivered"},
        ("PUT", "/api/ticket-deadlines/{category}"): {"acknowledge_minutes": 10, "resolve_minutes": 60},
        ("POST", "/api/volunteers"): {"username": "vol_x", "password": "long enough", "display_name": "x",
                                      "grid_ids": [a.committee.id]},
        ("POST", "/api/announcements"): {"area_id": a.committee.id, "title": "t", "body": "b"},
        ("POST", "/api/deliveries"): {"compound_id": a.compound.id, "kind": "food", "items": "x", "quantity": 1,
                                      "planned_for": "2022-04-04"},
        ("POST", "/api/deliveries/{delivery_id}/delivered"): {"quantity": 1},
        ("POST", "/open311/v2/requests.{fmt}"): {"jurisdiction_id": a.committee.code, "service_code": "groceries",
                                                  "description": "x", "address_id": a.households[0].id},
        ("POST", "/tickets"): {"category": "groceries", "details": "eggs", "household_id": a.households[0].id},
        ("POST", "/me/tickets"): {"category": "groceries", "details": "eggs"},
        ("POST", "/areas/{grid_id}/support/deliveries"): {"compound_id": a.compound.id, "kind": "food", "items": "x",
                                                           "quantity": 1, "planned_for": "2022-04-04"},
        ("POST", "/areas/{grid_id}/support/deliveries/{delivery_id}/delivered"): {"quantity": 1},
        ("POST", "/areas/{grid_id}/support/announcements"): {"title": "t", "body": "b"},
        ("POST", "/tickets/{ticket_id}/notes"): {"note": "on my way"},
        ("POST", "/tickets/{ticket_id}/resolve"): {"outcome": "done", "note": "delivered"},
        ("POST", "/api/roster/sources"): {"grid_id": a.committee.id},
        ("POST", "/api/roster/review/{pair_id}"): {"decision": "skip"},
        ("POST", "/api/roster/tasks/{task_id}/close"): {"outcome": "found"},
        ("POST", "/roster/review/{pair_id}"): {"decision": "skip"},
        ("POST", "/areas/{grid_id}/roster/tasks/{task_id}/close"): {"outcome": "found"},
        ("POST", "/api/results"): {
            "lab_id": lab.id, "upload": "u", "results": [{"barcode": tube, "result": "negative"}],
        },
    }  # fmt: skip
    return targets, bodies


def _call(client, case, headers):
    if case.path == "/api/roster/sources" and case.method == "POST":
        files = {"file": ("sweep.csv", "name,compound,building\n张三,阳光小区,1号楼\n".encode(), "text/csv")}
        data = {"source_kind": "sweep", "grid_id": str(case.body["grid_id"])}
        return client.request(case.method, case.url, headers=headers, files=files, data=data)
    if case.path == "/api/results/csv":
        files = {"file": ("r.csv", b"barcode,result\nSH000000000000,negative\n", "text/csv")}
        return client.request(case.method, case.url, headers=headers, files=files, data={"lab_id": str(case.lab_id)})
    if not case.path.startswith("/api"):  # the pages' forms and Open311 take form fields
        return client.request(case.method, case.url, params=case.params, data=case.body, headers=headers)
    return client.request(case.method, case.url, params=case.params, json=case.body, headers=headers)


def test_every_protected_route_declares_the_roles_it_admits(app):
    undeclared = [r.path for r in protected_routes(app) if declared_roles(r.route) is None]
    assert undeclared == []


def test_the_not_area_scoped_list_names_only_real_routes(app, scene):
    keys = {c.key for c in route_cases(app, *scene)}
    assert keys >= NOT_AREA_SCOPED


def test_anonymous_callers_get_401_on_every_protected_route(app, client, scene):
    for case in route_cases(app, *scene):
        response = _call(client, case, {})
        assert response.status_code == 401, (case.key, response.status_code, response.text[:200])


def test_a_forged_or_expired_token_gets_401(client, tiny):
    assert client.get("/api/areas", headers=bearer("not-a-real-token")).status_code == 401


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_users_of_another_grid_get_403_or_404_on_every_area_route(app, client, scene, tokens, outsider):
    for case in route_cases(app, *scene):
        if case.key in NOT_AREA_SCOPED:
            continue
        response = _call(client, case, bearer(tokens[outsider]))
        assert response.status_code in (403, 404), (outsider, case.key, response.status_code, response.text[:200])


@pytest.mark.parametrize("insider", sorted(INSIDERS))
def test_users_of_the_grid_reach_every_read_route_their_role_admits(app, client, scene, tokens, insider):
    reached = 0
    for case, mounted in zip(route_cases(app, *scene), _mounted(app), strict=True):
        if case.method != "GET" or INSIDERS[insider] not in (declared_roles(mounted.route) or ()):
            continue
        response = _call(client, case, bearer(tokens[insider]))
        assert response.status_code == 200, (insider, case.key, response.status_code, response.text[:200])
        reached += 1
    assert reached > 0


def _mounted(app):
    return [m for m in protected_routes(app) for _ in sorted(m.methods - {"HEAD"})]
