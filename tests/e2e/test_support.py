"""Residents' needs in the browser: a resident asks for medicine, a volunteer takes it and closes it, and a
medical emergency nobody answers climbs to the subdistrict."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from gridscreen import clock
from gridscreen.support.worker import sweep
from tests.e2e.conftest import keep

PHONE = {"width": 390, "height": 844}


def _log_out(page):
    page.locator("form[action='/logout'] button").click()


def _file(page, category: str, details: str):
    form = page.get_by_test_id("ticket-form")
    form.locator("select[name=category]").select_option(category)
    form.locator("textarea[name=details]").fill(details)
    form.locator("input[name=contact_phone]").fill("13912345678")
    form.locator("button[type=submit]").click()


def test_a_resident_asks_for_medicine_and_a_volunteer_brings_it(page, login):
    page.set_viewport_size(PHONE)
    login("resident")
    expect(page).to_have_url(re.compile(r"/me$"))
    expect(page.get_by_role("note")).to_contain_text("120")
    _file(page, "medicine", "降压药 氨氯地平 还剩两天")
    mine = page.get_by_test_id("my-ticket").filter(has_text="氨氯地平")
    expect(mine).to_contain_text("药品")
    keep(page, "resident-page-phone")
    _log_out(page)

    login("volunteer")
    expect(page).to_have_url(re.compile(r"/tickets$"))
    expect(page.get_by_test_id("notification").filter(has_text="氨氯地平")).to_be_visible()
    page.get_by_test_id("queue-ticket").filter(has_text="氨氯地平").locator("a").click()
    expect(page.get_by_test_id("ticket-assignee")).to_contain_text("志愿者")
    page.get_by_test_id("acknowledge").click()
    expect(page.get_by_test_id("ticket-status")).to_contain_text("处理中")
    resolve = page.get_by_test_id("resolve-form")
    resolve.locator("select[name=outcome]").select_option("done")
    resolve.locator("input[name=note]").fill("药已送到门口")
    page.get_by_test_id("resolve").click()
    expect(page.get_by_test_id("ticket-status")).to_contain_text("已办结")
    expect(page.get_by_test_id("ticket-history").locator("li")).to_have_count(4)  # filed, assigned, answered, closed
    keep(page, "volunteer-ticket-phone")
    _log_out(page)

    login("resident")
    expect(page.get_by_test_id("my-ticket").filter(has_text="氨氯地平")).to_contain_text("药已送到门口")


def test_an_emergency_left_unanswered_climbs_to_the_subdistrict(page, login, live_site):
    login("resident")
    _file(page, "emergency", "孕妇 腹痛 见红")
    expect(page.get_by_test_id("my-ticket").filter(has_text="孕妇")).to_contain_text("等待应答")
    _log_out(page)

    login("grid")  # the grid's duty officer is alerted at once
    page.goto(f"{live_site.url}/tickets")
    alert = page.get_by_test_id("notification").filter(has_text="绿色通道")
    expect(alert.first).to_be_visible()
    first = page.get_by_test_id("queue-ticket").first  # the green channel leads the queue
    expect(first).to_contain_text("孕妇")
    _log_out(page)

    swept = sweep(live_site.engine, now=clock.now() + timedelta(minutes=6))  # nobody answered within 5 minutes
    assert swept.escalated >= 1

    login("subdistrict")
    page.goto(f"{live_site.url}/tickets")
    expect(page.get_by_test_id("notification").filter(has_text="已升级").first).to_be_visible()
    page.get_by_test_id("queue-ticket").filter(has_text="孕妇").locator("a").click()
    expect(page.get_by_test_id("ticket-level")).to_contain_text("街道")
    expect(page.get_by_test_id("ticket-history")).to_contain_text("未按时应答")
    keep(page, "ticket-escalated")
