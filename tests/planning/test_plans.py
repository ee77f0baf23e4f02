"""A round's site plan made on a generated city and stored: every building placed or reported, no site over
its desks, and closing a site moves only its own buildings."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from gridscreen.areas.models import Block
from gridscreen.db import transaction
from gridscreen.planning import plans
from gridscreen.planning import service as rounds
from gridscreen.planning.defaults import DEFAULTS
from gridscreen.planning.models import BuildingPlan, Site, SitePlanFigures
from gridscreen.planning.schemas import RoundBlockIn, RoundIn
from tests.areas.factories import system_principal
from tests.conftest import fresh_database

NOW = datetime(2022, 4, 3, 12, tzinfo=UTC)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def planned(request, tmp_path_factory):
    engine = fresh_database(request, tmp_path_factory, "plans", people=6_000, seed=8)
    with transaction(engine, write=True) as session:
        blocks = session.scalars(select(Block.id)).all()
        data = RoundIn(code="P1", name="plan", blocks=[RoundBlockIn(block_id=b, sample_date=date(2022, 4, 4))
                                                          for b in blocks])  # fmt: skip
        round_ = rounds.create_round(session, data, now=NOW)
        plans.make_plan(session, round_.id, now=NOW, seed=1)
        round_id = round_.id
    yield engine, round_id
    engine.dispose()


def test_every_building_gets_a_site_and_slot_or_a_reason_and_no_site_is_over_its_desks(planned):
    engine, round_id = planned
    with transaction(engine) as session:
        rows = session.scalars(select(BuildingPlan).where(BuildingPlan.round_id == round_id)).all()
        figures = session.get(SitePlanFigures, round_id)
        assert rows and len(rows) == figures.buildings
        for row in rows:
            assert (row.site_id is not None and row.first_slot is not None) or row.reason or row.persons == 0
        per_site = (
            select(BuildingPlan.site_id, func.sum(BuildingPlan.persons))
            .where(BuildingPlan.round_id == round_id, BuildingPlan.site_id.is_not(None))
            .group_by(BuildingPlan.site_id)
        )
        load = dict(session.execute(per_site).all())
        for site in session.scalars(select(Site).where(Site.round_id == round_id, Site.desks > 0)):
            assert load.get(site.id, 0) <= site.desks * DEFAULTS.desk_capacity + 1e-6
            assert site.expected == load.get(site.id, 0)
        assert figures.sites_open > 0 and figures.max_walk_m <= DEFAULTS.max_walk_m + 1e-6
        assert figures.p95_wait_min >= 0 and figures.finish_hours > 0


def test_closing_a_site_moves_only_its_buildings_and_keeps_everyone_elses_slot(planned):
    engine, round_id = planned
    with transaction(engine, write=True) as session:
        before = {b.building_id: (b.site_id, b.first_slot) for b in
                  session.scalars(select(BuildingPlan).where(BuildingPlan.round_id == round_id))}  # fmt: skip
        site_id = session.scalar(select(Site.id).where(Site.round_id == round_id, Site.desks > 0).order_by(Site.id))
        city = session.scalar(select(Block.id))  # any block: the system principal sees the whole city
        del city
        from gridscreen.areas.models import Area, Level

        principal = system_principal(session.scalar(select(Area).where(Area.level == Level.city)))
        moved = plans.close_site(session, principal, round_id, site_id, now=NOW)
        after = {b.building_id: (b.site_id, b.first_slot) for b in
                 session.scalars(select(BuildingPlan).where(BuildingPlan.round_id == round_id))}  # fmt: skip
        closed = session.get(Site, site_id)
        assert closed.closed_at is not None and closed.desks == 0
        assert moved and set(moved) == {b for b, (s, _) in before.items() if s == site_id}
        for building, (site, slot) in before.items():
            if building not in moved:
                assert after[building] == (site, slot)
            else:
                assert after[building][0] != site_id


def test_the_plan_pages_show_the_figures_the_map_and_a_sites_schedule(planned):
    from fastapi.testclient import TestClient

    from gridscreen.app import create_app
    from gridscreen.areas.models import Area, Level
    from gridscreen.auth import service as auth
    from gridscreen.auth.models import Role

    engine, round_id = planned
    with transaction(engine, write=True) as session:
        city = session.scalar(select(Area).where(Area.level == Level.city))
        subdistrict = session.scalar(select(Area.id).where(Area.level == Level.subdistrict).order_by(Area.id))
        auth.create_user(session, username="planner", password="long enough", role=Role.command,
                         display_name="planner", area_ids=[city.id])  # fmt: skip
        token = auth.log_in(session, username="planner", password="long enough", now=datetime.now(UTC), hours=1)
        site_id = session.scalar(select(Site.id).where(Site.round_id == round_id, Site.desks > 0).order_by(Site.id))
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(engine, sweep_seconds=0)) as client:
        page = client.get(f"/rounds/{round_id}/plan", params={"area": subdistrict}, headers=headers)
        assert page.status_code == 200 and 'data-testid="plan-map"' in page.text and "<rect" in page.text
        schedule = client.get(f"/sites/{site_id}/plan", headers=headers)
        assert schedule.status_code == 200 and "07:00–07:30" in schedule.text
        api = client.get(f"/api/rounds/{round_id}/plan", headers=headers).json()
        assert api["sites_open"] > 0 and api["window_start"] == "07:00"
        with transaction(engine) as session:
            building = session.scalar(select(BuildingPlan.building_id).where(BuildingPlan.site_id == site_id))
            _, _, sites, slot = rounds.notice_for(session, session.get(Area, building))
            assert [s.id for s in sites] == [site_id] and slot.startswith("0")  # e.g. 07:00–07:30
        closed = client.post(f"/api/rounds/{round_id}/sites/{site_id}/close", headers=headers)
        assert closed.status_code == 200 and closed.json()["moved_buildings"]
        again = client.post(f"/api/rounds/{round_id}/sites/999999/close", headers=headers)
        assert again.status_code == 404


def test_door_to_door_routes_visit_every_household_of_the_immobile_within_working_hours(planned):
    from gridscreen.areas.models import Area, Level
    from gridscreen.people.models import Person
    from gridscreen.planning import route_plans
    from gridscreen.planning.models import Route, RouteStop

    engine, round_id = planned
    with transaction(engine, write=True) as session:
        grid = session.scalar(select(Person.committee_id).where(Person.door_reasons != 0)
                              .group_by(Person.committee_id).order_by(func.count().desc()).limit(1))  # fmt: skip
        expected = set(session.scalars(select(Person.household_id).where(Person.committee_id == grid,
                                                                           Person.door_reasons != 0)))  # fmt: skip
        principal = system_principal(session.scalar(select(Area).where(Area.level == Level.city)))
        found = route_plans.plan_grid_routes(session, principal, round_id, grid, seed=2)
        of_grid = (Route.committee_id == grid, Route.round_id == round_id)
        stops = session.scalars(select(RouteStop).join(Route, Route.id == RouteStop.route_id).where(*of_grid)).all()
        visited = {s.household_id for s in stops}
        assert found.households == len(expected)
        assert visited | {h for h, _ in found.unvisited} == expected and not visited & {h for h, _ in found.unvisited}
        assert all(DEFAULTS.team_start_minute <= s.arrive_minute <= DEFAULTS.team_end_minute for s in stops)
        again = route_plans.plan_grid_routes(session, principal, round_id, grid, seed=2)
        assert again.visited == found.visited  # the same seed, the same routes; re-planning replaces them
        assert session.scalar(select(func.count()).select_from(RouteStop).join(Route, Route.id == RouteStop.route_id)
                              .where(Route.committee_id == grid)) == len(stops)  # fmt: skip
