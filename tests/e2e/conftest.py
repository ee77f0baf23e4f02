"""Browser tests: a real server (uvicorn, in a thread) over a generated city, driven by Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

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


def keep(page, name: str) -> None:
    """A full-page screenshot for the docs, when GRIDSCREEN_SCREENSHOTS names a folder."""
    folder = os.environ.get("GRIDSCREEN_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


class Server:
    """A real uvicorn server in a thread, on a port of its own, that a test can stop and start again."""

    def __init__(self, engine) -> None:
        self.engine = engine
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = self.thread = None

    def start(self) -> None:
        config = uvicorn.Config(create_app(self.engine), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            self.thread.join(0.05)
            if not self.thread.is_alive():
                pytest.fail("the web server did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join()


@pytest.fixture(scope="session", params=BACKENDS)
def live_site(request, tmp_path_factory) -> Iterator[Server]:
    """The server and its database, for tests that must also act as a scheduler would (a sweep at a set time)."""
    engine = fresh_database(request, tmp_path_factory, "e2e", people=4_000, seed=11)
    with transaction(engine) as session:
        create_demo_users(session)
    # A round under way: the first two grids sampled at their sites, their door-knocking not yet done.
    with TestClient(create_app(engine)) as client:
        plan = RoundPlan(seed=4, grids=2, turnout=0.8, prevalence=0.05, lab_capacity=3, in_progress=True)
        simulate_round(client, engine, plan)
    server = Server(engine)
    server.start()
    yield server
    server.stop()
    engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_site) -> str:
    return live_site.url


@pytest.fixture
def login(page, live_server):
    def log_in(username: str, password: str = DEMO_PASSWORD):
        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")

    return log_in
