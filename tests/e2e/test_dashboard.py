"""The command centre's dashboard in the browser: live panels, sorting, the map, the door-knock list and its
export. Set GRIDSCREEN_SCREENSHOTS to a folder to keep pictures of the main screens (docs/ holds them)."""

import re
from datetime import UTC, datetime

from openpyxl import load_workbook
from playwright.sync_api import expect

from gridscreen.config import get_settings
from gridscreen.sampling.barcode import make_barcode
from gridscreen.sampling.resident_code import sign_resident_code
from gridscreen.sim.demo import DEMO_PASSWORD
from tests.e2e.conftest import keep

PHONE = {"width": 390, "height": 844}


def _count(locator) -> int:
    return int(locator.inner_text().replace(",", ""))


def test_the_overview_draws_progress_the_map_and_the_labs(page, login):
    page.set_viewport_size({"width": 1280, "height": 900})
    login("command")
    expect(page.locator("[data-testid=progress-chart] polyline.sampled")).to_have_count(1)
    hexes = page.locator("[data-testid=coverage-map] polygon")
    expect(hexes.first).to_be_visible()
    assert hexes.count() > 10  # the city's grids, binned
    expect(page.locator("[data-testid=lab-backlog] tbody tr").first).to_be_visible()
    expect(page.locator("[data-testid=coverage-row]")).to_have_count(16)
    keep(page, "dashboard-overview")


def test_sorting_the_coverage_table_keeps_the_page_and_the_url(page, login):
    login("command")
    page.get_by_test_id("sort-missing").click()
    expect(page).to_have_url(re.compile(r"sort=missing&order=desc"))
    expect(page.locator("th.sorted")).to_contain_text("未采")
    missing = [_count(r.locator("td").nth(3)) for r in page.locator("[data-testid=coverage-row]").all()]
    assert missing == sorted(missing, reverse=True) and missing[0] > 0


def test_the_panels_refresh_on_their_own_when_people_are_sampled(page, login, live_server):
    page.clock.install()
    login("grid")
    before = _count(page.get_by_test_id("cov-missing"))
    round_id = int(page.locator("select[name=round] option[selected]").get_attribute("value"))
    grid_id = int(page.get_by_test_id("door-knocks").get_attribute("href").split("/")[2])
    api = page.request
    token = api.post(f"{live_server}/api/auth/token", data={"username": "sampler", "password": DEMO_PASSWORD})
    auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
    missing = api.get(
        f"{live_server}/api/rounds/{round_id}/missing", params={"area_id": grid_id, "limit": 1}, headers=auth
    ).json()["items"]
    site = api.get(f"{live_server}/api/rounds/{round_id}/sites", params={"area_id": grid_id}, headers=auth).json()[0]
    scan = {
        "device_seq": 1,
        "tube": make_barcode("LIVE", 1),
        "site_id": site["id"],
        "scanned_at": datetime.now(UTC).isoformat(),
        "resident_code": sign_resident_code(missing[0]["person"]["id"], secret=get_settings().resident_code_key),
        "close_tube": True,
    }
    stored = api.post(
        f"{live_server}/api/scans",
        data={"device_id": "e2e-live", "round_id": round_id, "scans": [scan]},
        headers=auth,
    )
    assert stored.json()["outcomes"][0]["status"] == "stored", stored.text
    page.clock.run_for(16_000)  # past the 15-second poll: no reload
    expect(page.get_by_test_id("cov-missing")).to_have_text(f"{before - 1:,}")


def test_a_grid_worker_notes_a_knock_and_exports_the_list(page, login):
    page.set_viewport_size(PHONE)
    login("grid")
    page.get_by_test_id("door-knocks").click()
    first = page.locator("[data-testid=missing-row]").first
    first.get_by_test_id("knock-reason").select_option("nobody_home")
    expect(first.get_by_test_id("knock-note")).to_contain_text("无人应门")
    page.reload()
    expect(page.locator("[data-testid=missing-row]").first.get_by_test_id("knock-reason")).to_have_value("nobody_home")
    keep(page, "door-knock-list-phone")
    total = _count(page.get_by_test_id("missing-total"))
    with page.expect_download() as download:
        page.get_by_test_id("export-missing").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    with open(download.value.path(), "rb") as file:
        sheet = load_workbook(file).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "姓名" and len(rows) == total + 1
    assert "无人应门" in [r[4] for r in rows[1:]]


def test_the_dashboard_fits_a_phone(page, login):
    page.set_viewport_size(PHONE)
    login("district")
    expect(page.get_by_test_id("panels")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1  # nothing pushes the page sideways
    keep(page, "dashboard-phone")


def test_the_command_centre_reports_a_support_and_sets_where_it_turns_red(page, login):
    login("command")
    expect(page.locator("[data-testid=supports] .support")).to_have_count(5)
    page.get_by_test_id("supports-edit").click()
    form = page.get_by_test_id("report-beds")
    form.locator("input[name=have]").fill("50")
    form.locator("input[name=need]").fill("100")
    form.locator("button").click()
    expect(page.get_by_test_id("support-row-beds")).to_contain_text("不足")  # half the need: under the 80% red line
    thresholds = page.get_by_test_id("thresholds-beds")
    thresholds.locator("input[name=amber_below]").fill("40")
    thresholds.locator("input[name=red_below]").fill("30")
    thresholds.locator("button").click()
    expect(page.get_by_test_id("support-row-beds")).to_contain_text("充足")
    page.locator(".crumbs a").last.click()
    expect(page.get_by_test_id("support-beds")).to_have_attribute("data-state", "green")


def test_red_above_amber_is_refused_with_a_reason(page, login):
    login("command")
    page.get_by_test_id("supports-edit").click()
    thresholds = page.get_by_test_id("thresholds-supplies")
    thresholds.locator("input[name=amber_below]").fill("50")
    thresholds.locator("input[name=red_below]").fill("90")
    thresholds.locator("button").click()
    expect(page.locator("[role=alert]")).to_contain_text("红线不能高于黄线")


def test_a_grid_worker_sees_only_their_grid(page, login, live_server):
    login("grid")
    expect(page.locator("[data-testid=coverage-map] polygon")).to_have_count(1)
    expect(page.locator(".crumbs a")).to_have_count(0)  # nothing above the grid is theirs to open
    expect(page.get_by_test_id("coverage-table")).to_have_count(0)
    response = page.goto(f"{live_server}/areas/1/panels?round=1")
    assert response.status == 404
