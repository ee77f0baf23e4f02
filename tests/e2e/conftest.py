"""Browser tests: a real server (uvicorn, in a thread) over a generated city, driven by Debian's Chromium."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient

from gridscreen.app import create_app
from gridscreen.db import transaction
from gridscreen.sim.demo import DEMO_PASSWORD, create_demo_users
from gridscreen.sim.round import RoundPlan, simulate_round
from tests.conftest import BACKENDS, fresh_database

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Chromium is not installed: apt-get install -y chromium fonts-wqy-microhei")
    return {**browser_type_launch_args, "executable_path": chromium, "args": CHROMIUM_ARGS}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session", params=BACKENDS)
def live_server(request, tmp_path_factory) -> Iterator[str]:
    engine = fresh_database(request, tmp_path_factory, "e2e", people=4_000, seed=11)
    with transaction(engine) as session:
        create_demo_users(session)
    # A round under way: the first two grids sampled at their sites, their door-knocking not yet done.
    with TestClient(create_app(engine)) as client:
        plan = RoundPlan(seed=4, grids=2, turnout=0.8, prevalence=0.05, lab_capacity=3, in_progress=True)
        simulate_round(client, engine, plan)
    server = uvicorn.Server(
        uvicorn.Config(create_app(engine), host="127.0.0.1", port=_free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.05)
        if not thread.is_alive():
            pytest.fail("the web server did not start")
    yield f"http://127.0.0.1:{server.config.port}"
    server.should_exit = True
    thread.join()
    engine.dispose()


@pytest.fixture
def login(page, live_server):
    def log_in(username: str, password: str = DEMO_PASSWORD):
        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")

    return log_in
