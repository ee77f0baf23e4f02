"""The sampler app in Chromium at phone size: scans survive going offline, reloading and the server going
away; the server ends up with each scan exactly once, in the right tube. Set GRIDSCREEN_SCREENSHOTS to keep
pictures of the screens."""

from __future__ import annotations

import statistics

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import func, select

from gridscreen.app import create_app
from gridscreen.config import get_settings
from gridscreen.db import transaction
from gridscreen.people.models import Person
from gridscreen.sampling.barcode import make_barcode
from gridscreen.sampling.models import Scan, Tube
from gridscreen.sampling.resident_code import sign_resident_code
from gridscreen.sim.demo import DEMO_PASSWORD, create_demo_users
from gridscreen.sim.round import RoundPlan, simulate_round
from tests.conftest import BACKENDS, fresh_database
from tests.e2e.conftest import Server, keep

PHONE = {"width": 390, "height": 844}
_serials = iter(range(1, 10**6))


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory):
    engine = fresh_database(request, tmp_path_factory, "sampler", people=4_000, seed=12)
    with transaction(engine) as session:
        create_demo_users(session)
    # A round under way in the demo sampler's grid: its site is open, most people still to come.
    with TestClient(create_app(engine)) as client:
        simulate_round(client, engine, RoundPlan(seed=5, grids=1, turnout=0.2, in_progress=True))
    running = Server(engine)
    running.start()
    yield running
    running.stop()
    engine.dispose()


@pytest.fixture
def app_page(page, server):
    page.set_viewport_size(PHONE)
    page.goto(f"{server.url}/login?next=/sampler/")
    page.fill("input[name=username]", "sampler")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/sampler/")
    page.evaluate("navigator.serviceWorker.ready")
    expect(page.locator("#setup-form[data-ready]")).to_have_count(1)
    keep(page, "sampler-setup")
    page.get_by_test_id("start").click()
    expect(page.get_by_test_id("scanning")).to_be_visible()
    return page


def _waiting(page, server, how_many: int) -> list[int]:
    """Person ids of the grid not yet sampled now (earlier tests' scans have reached the server)."""
    round_id = page.evaluate("GS.getMeta('context')")["round_id"]
    grid_id = page.evaluate("GS.getMeta('context')")["grid_id"]
    roster = page.request.get(f"{server.url}/api/rounds/{round_id}/roster?area_id={grid_id}").json()
    people = [e["person_id"] for e in roster if e["status"] == "expected"]
    assert len(people) >= how_many
    return people[:how_many]


def _scan(page, text: str) -> None:
    box = page.get_by_test_id("scan-input")
    box.fill(text)
    box.press("Enter")


def _code(person_id: int) -> str:
    return sign_resident_code(person_id, secret=get_settings().resident_code_key)


def _fill_tube(page, persons: list[int]) -> str:
    barcode = make_barcode("WEB", next(_serials))
    _scan(page, barcode)
    expect(page.get_by_test_id("tube")).to_have_text(barcode)
    for person in persons:
        _scan(page, _code(person))
    if page.get_by_test_id("tube").inner_text() == barcode:  # the pool is bigger than this tube's people
        page.get_by_test_id("seal").click()
    expect(page.get_by_test_id("tube")).not_to_have_text(barcode)
    return barcode


def _stored(server, device: str) -> list[tuple[int, str]]:
    with transaction(server.engine) as session:
        return session.execute(
            select(Scan.person_id, Tube.barcode).join(Tube, Tube.id == Scan.tube_id).where(Scan.device_id == device)
        ).all()


def test_thirty_scans_taken_offline_survive_a_reload_and_arrive_once_each(app_page, server, context):
    page = app_page
    persons = _waiting(page, server, 30)
    context.set_offline(True)
    tubes = {_fill_tube(page, persons[i : i + 10]): persons[i : i + 10] for i in range(0, 30, 10)}
    expect(page.get_by_test_id("pending")).to_have_text("30")
    keep(page, "sampler-offline")
    times = page.evaluate("window.confirmTimes")
    page.reload()
    expect(page.get_by_test_id("scanning")).to_be_visible()
    expect(page.get_by_test_id("pending")).to_have_text("30")
    context.set_offline(False)
    expect(page.get_by_test_id("pending")).to_have_text("0", timeout=30_000)
    device = page.evaluate("GS.deviceId()")
    stored = _stored(server, device)
    assert sorted(stored) == sorted((p, barcode) for barcode, members in tubes.items() for p in members)
    print(f"\nscan to confirmation on screen: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms "
          f"over {len(times)} scans")  # fmt: skip


def test_scans_wait_while_the_server_is_down_and_go_when_it_is_back(app_page, server):
    page = app_page
    persons = _waiting(page, server, 3)
    server.stop()
    try:
        barcode = _fill_tube(page, persons)
        expect(page.locator("#sync-status")).to_contain_text("无法连接服务器")
        expect(page.get_by_test_id("pending")).to_have_text("3")
    finally:
        server.start()
    expect(page.get_by_test_id("pending")).to_have_text("0", timeout=60_000)
    stored = _stored(server, page.evaluate("GS.deviceId()"))
    assert sorted(p for p, b in stored if b == barcode) == sorted(persons)
    with transaction(server.engine) as session:
        tube = session.scalar(select(Tube).where(Tube.barcode == barcode))
        assert (tube.members, tube.status) == (3, "sealed")
        assert session.scalar(select(func.count()).select_from(Scan).where(Scan.tube_id == tube.id)) == 3


def test_a_scan_the_server_refuses_is_shown_to_the_sampler(app_page, server):
    page = app_page
    [person] = _waiting(page, server, 1)
    forged = f"GS1.{person}.AAAAAAAAAAAAAAAA"  # well formed, but not signed by us
    _scan(page, make_barcode("WEB", next(_serials)))
    _scan(page, forged)
    page.get_by_test_id("seal").click()
    rejected = page.get_by_test_id("rejected")
    expect(rejected).to_contain_text("居民码无效", timeout=30_000)
    expect(page.get_by_test_id("pending")).to_have_text("0")
    keep(page, "sampler-rejected")
    page.get_by_test_id("clear-rejected").click()  # the sampler has swabbed the person again
    expect(page.get_by_test_id("rejected-box")).to_be_hidden()


def test_undo_takes_back_the_last_scan_before_it_is_sent(app_page, server):
    page = app_page
    first, second = _waiting(page, server, 2)
    _scan(page, make_barcode("WEB", next(_serials)))
    _scan(page, _code(first))
    _scan(page, _code(second))
    expect(page.get_by_test_id("members").locator("li")).to_have_count(2)
    keep(page, "sampler-tube")
    page.get_by_test_id("undo").click()
    expect(page.get_by_test_id("members").locator("li")).to_have_count(1)
    expect(page.get_by_test_id("count")).to_contain_text("1/")


def test_a_door_to_door_team_sees_its_doors_and_notes_nobody_home(app_page, server):
    page = app_page
    page.locator("#change").click()
    expect(page.locator("#setup-form[data-ready]")).to_have_count(1)
    route = page.locator("#place option[value^='route:']").first.get_attribute("value")
    page.get_by_test_id("place").select_option(route)
    page.get_by_test_id("start").click()
    context = page.evaluate("GS.getMeta('context')")
    roster = page.request.get(f"{server.url}/api/rounds/{context['round_id']}/roster?area_id={context['grid_id']}")
    # A door where someone immobile is still to be swabbed (not one with only a retest waiting).
    household = next(e["household_id"] for e in roster.json() if e["door_reasons"] and e["status"] == "expected")
    door = page.get_by_test_id("route-list").locator(f"li[data-household='{household}']")
    door.locator("button[data-outcome=nobody_home]").click()
    expect(door.locator(".warn")).to_have_text("无人应门")  # the door's note, not its button
    keep(page, "sampler-door-to-door")
    expect(page.get_by_test_id("pending")).to_have_text("0", timeout=30_000)  # the app sends the notes itself
    noted, offset = {}, 0
    while True:
        url = f"{server.url}/api/rounds/{context['round_id']}/missing?area_id={context['grid_id']}&offset={offset}"
        page_of = page.request.get(url).json()
        noted |= {i["person"]["id"]: i["reason"] for i in page_of["items"] if i["person"]["household_id"] == household}
        offset += len(page_of["items"])
        if offset >= page_of["total"] or not page_of["items"]:
            break
    assert noted and set(noted.values()) == {"nobody_home"}


def test_the_site_lead_sees_the_swabs_and_this_device(app_page, server):
    page = app_page
    persons = _waiting(page, server, 2)
    _fill_tube(page, persons)
    expect(page.get_by_test_id("pending")).to_have_text("0", timeout=30_000)
    device = page.evaluate("GS.deviceId()")
    page.get_by_test_id("site-lead").click()
    expect(page.get_by_test_id("site-devices")).to_contain_text(device)
    assert int(page.get_by_test_id("site-swabs").inner_text().replace(",", "")) >= 2


def test_an_id_number_typed_in_stands_for_a_resident_without_a_code(app_page, server):
    page = app_page
    with transaction(server.engine) as session:
        person_id, number = next(
            (p.id, p.document_number)
            for p in map(lambda i: session.get(Person, i), _waiting(page, server, 10))
            if p.document_type == "resident_id"
        )
    barcode = make_barcode("WEB", next(_serials))
    _scan(page, barcode)
    _scan(page, number.lower())  # a lower-case x check character, as people type it
    expect(page.get_by_test_id("members")).to_contain_text("手输证件号")
    page.get_by_test_id("seal").click()
    expect(page.get_by_test_id("pending")).to_have_text("0", timeout=30_000)
    assert (person_id, barcode) in _stored(server, page.evaluate("GS.deviceId()"))


def test_scans_left_in_a_closed_tab_are_sent_when_the_app_opens_again(app_page, server, context):
    page = app_page
    persons = _waiting(page, server, 2)
    context.set_offline(True)
    barcode = _fill_tube(page, persons)
    expect(page.get_by_test_id("pending")).to_have_text("2")
    device = page.evaluate("GS.deviceId()")
    page.close()
    context.set_offline(False)
    again = context.new_page()
    again.goto(f"{server.url}/sampler/")
    expect(again.get_by_test_id("pending")).to_have_text("0", timeout=30_000)
    assert sorted(p for p, b in _stored(server, device) if b == barcode) == sorted(persons)
