"""A whole round end to end, through the API, on a generated city, on both databases."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.conftest import fresh_database

from gridscreen.app import create_app
from gridscreen.db import transaction
from gridscreen.people.models import Person
from gridscreen.sampling.models import PersonRound, RetestOrder, Scan, Tube
from gridscreen.sim.round import RoundPlan, simulate_round


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def city_engine(request, tmp_path_factory):
    engine = fresh_database(request, tmp_path_factory, "round", people=3_000, seed=5)
    yield engine
    engine.dispose()


def test_a_round_with_planted_positives_ends_with_every_positive_found_and_everyone_covered(city_engine):
    with transaction(city_engine) as session:
        # Plant infections in three households of different grids.
        households = session.execute(select(Person.household_id, Person.committee_id).order_by(Person.id)).all()
        chosen, grids = [], set()
        for household_id, committee_id in households:
            if committee_id not in grids:
                grids.add(committee_id)
                chosen.append(household_id)
            if len(chosen) == 3:
                break
        planted = set(session.scalars(select(Person.id).where(Person.household_id.in_(chosen))))
    with TestClient(create_app(city_engine)) as client:
        report = simulate_round(
            client,
            city_engine,
            RoundPlan(seed=3, planted=frozenset(planted), turnout=0.9, invalid_share=0.01, found_share=0.01),
        )
    figures = report.coverage["area"]["figures"]
    with transaction(city_engine) as session:
        statuses = dict(
            session.execute(
                select(PersonRound.person_id, PersonRound.status).where(PersonRound.round_id == report.round_id)
            ).all()
        )
        # Every member of a positive pool got a single-tube retest order.
        pooled_positive = session.scalars(
            select(Tube.id).where(Tube.round_id == report.round_id, Tube.result == "positive", Tube.members > 1)
        ).all()
        for tube_id in pooled_positive:
            members = set(session.scalars(select(Scan.person_id).where(Scan.tube_id == tube_id)))
            ordered = set(session.scalars(select(RetestOrder.person_id).where(RetestOrder.source_tube_id == tube_id)))
            assert members == ordered
    assert planted and all(statuses[p] == "positive" for p in planted)
    assert {s for p, s in statuses.items() if p not in planted} <= {"negative"}
    assert figures["positive"] == len(planted) and figures["on_hold"] == 0
    assert figures["missing"] == 0 and figures["coverage"] == 1.0
    assert figures["found_at_site"] >= 1 and report.door_passes >= 1


def test_labs_short_of_capacity_leave_a_backlog_the_dashboard_shows(city_engine):
    from gridscreen import clock
    from gridscreen.areas.models import Area, Level
    from gridscreen.auth.models import User
    from gridscreen.auth.service import principal_for_user
    from gridscreen.dashboard import service as dashboard

    with TestClient(create_app(city_engine)) as client:
        report = simulate_round(client, city_engine, RoundPlan(seed=8, grids=3, lab_capacity=3, in_progress=True))
    assert report.lab_backlog > 0 and report.door_passes == 0
    with transaction(city_engine) as session:
        commander = principal_for_user(session, session.scalar(select(User).where(User.username == "sim-command")))
        city = session.scalar(select(Area.id).where(Area.level == Level.city))
        view = dashboard.overview(session, commander, report.round_id, city, now=clock.now())
    labs = [lab for lab in view.labs if lab.arrived]
    assert sum(lab.waiting for lab in labs) == report.lab_backlog
    assert all(lab.resulted <= 3 * 3 for lab in labs)  # at most 3 tubes per grid's site session
    assert view.progress[-1].tubes_total == report.tubes
