"""What people do in the browser: log in, drill down from the city to a household, search, switch language."""

import re

from playwright.sync_api import expect

LEVELS = ["区", "街道/镇", "居委/村委（网格）", "小区", "楼栋"]


def test_command_centre_drills_down_from_the_city_to_a_household(page, login, live_server):
    login("command")
    expect(page.locator("h1")).to_contain_text("上海市")
    rows = page.locator("[data-testid=children] tbody tr")
    expect(rows).to_have_count(16)
    city_residents = int(page.get_by_test_id("residents").inner_text().replace(",", ""))
    assert 3_900 <= city_residents <= 4_100
    for level in LEVELS:
        first = page.locator("[data-testid=children] tbody tr").first
        expect(first).to_contain_text(level)
        first.locator("a").click()
    household_rows = page.locator("[data-testid=households-table] tbody tr")
    expect(household_rows.first).to_be_visible()
    household_rows.first.locator("a").click()
    persons = page.locator("[data-testid=household-persons] tbody tr")
    expect(persons.first).to_be_visible()
    # The command centre sees people masked: it does not need their numbers.
    expect(persons.first.locator("td.mono").first).to_contain_text("*")
    expect(page.locator(".crumbs a")).to_have_count(6)


def test_a_grid_worker_finds_a_person_and_the_door_to_door_list(page, login):
    login("grid")
    expect(page.locator("h1")).to_contain_text("居委会")
    page.get_by_test_id("door-list").click()
    results = page.get_by_test_id("person-results")
    expect(results).to_be_visible()
    first_name = page.locator("[data-testid=person-results] tbody tr td").first.inner_text()
    page.get_by_test_id("person-search").fill(first_name[:1])
    expect(page.locator(".count")).to_contain_text("找到")
    expect(page.locator("[data-testid=person-results] tbody tr").first).to_contain_text(first_name[:1])


def test_the_language_switches_to_english_and_back(page, login):
    login("district")
    expect(page.locator(".figure .label").first).to_have_text("居民")
    page.get_by_test_id("lang-en").click()
    expect(page.locator(".figure .label").first).to_have_text("residents")
    expect(page.locator("header")).to_contain_text("No household missed")
    page.get_by_test_id("lang-zh").click()
    expect(page.locator("header")).to_contain_text("不漏一户")


def test_a_wrong_password_says_so_on_the_login_page(page, login):
    login("grid", "not-the-password")
    expect(page.locator("[role=alert]")).to_have_text("用户名或密码错误")


def test_a_grid_worker_cannot_open_another_district(page, login, live_server):
    login("command")
    last_district = page.locator("[data-testid=children] tbody tr a").last.get_attribute("href")
    page.locator("form[action='/logout'] button").click()
    login("grid")
    response = page.goto(f"{live_server}{last_district}")
    assert response.status == 404
    expect(page.locator("[role=alert]")).to_contain_text("不在您的辖区内")


def test_a_resident_lands_on_their_own_household_page(page, login):
    login("resident")
    expect(page).to_have_url(re.compile(r"/me$"))
    expect(page.get_by_test_id("result-row").first).to_be_visible()
    expect(page.get_by_test_id("resident-code").first).to_be_visible()


def test_pages_without_login_show_the_login_form(page, live_server):
    response = page.goto(f"{live_server}/areas/1")
    assert response.status == 401
    expect(page.locator("input[name=username]")).to_be_visible()


def test_the_command_centre_sees_the_round_under_way(page, login):
    login("command")
    coverage = page.get_by_test_id("coverage")
    expect(coverage).to_be_visible()
    percent = float(page.get_by_test_id("cov-percent").inner_text().rstrip("%"))
    assert 0 < percent < 100  # two grids sampled, the rest not yet
    assert int(page.get_by_test_id("cov-missing").inner_text().replace(",", "")) > 0
    expect(page.get_by_test_id("child-coverage").first).to_contain_text("%")


def test_a_grid_worker_opens_the_door_knock_list(page, login):
    login("grid")
    page.get_by_test_id("door-knocks").click()
    missing = page.locator("[data-testid=missing-list] tbody tr")
    expect(missing.first).to_be_visible()
    # Masked: the grid list shows no full ID numbers or phones.
    expect(missing.first.locator("td.mono")).to_contain_text("*")
