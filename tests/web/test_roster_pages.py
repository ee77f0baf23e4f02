"""The roster's pages as HTTP sees them: the clerks' review of record pairs and a grid's roster page (the browser
test drives the same pages in Chromium)."""

import re

from sqlalchemy import select

from gridscreen.http import LANG_COOKIE
from gridscreen.people.identity import mask_document
from gridscreen.roster.models import DoorKnockTask, LinkDecision, ReviewPair, SourceRecord
from tests.auth.factories import bearer
from tests.roster.factories import add_record, add_source, roster_scene
from tests.sampling.factories import NOW

NUMBER = "110101199003071234"  # record A's ID number in roster_scene


def _row(html: str, field: str) -> str:
    match = re.search(rf'<tr data-field="{field}"[^>]*>.*?</tr>', html, re.S)
    assert match, field
    return match.group(0)


def _shown_pair(html: str) -> int | None:
    match = re.search(r'data-testid="review-pair" data-pair-id="(\d+)"', html)
    return int(match.group(1)) if match else None


def _second_pair(db, tiny) -> int:
    source = add_source(db, "rental")
    a = add_record(db, tiny.a, source, 7, "李娜", unit="2", room="202")
    b = add_record(db, tiny.a, source, 8, "李娜", unit="2", room="202")
    pair = ReviewPair(record_a=a.id, record_b=b.id, probability=0.9, reason="conflict", linked=True,
                      committee_id=tiny.a.committee.id)  # fmt: skip
    db.add(pair)
    db.flush()
    return pair.id


def test_the_review_page_shows_both_records_side_by_side_with_the_differences_marked(client, db, tiny, tokens):
    pair_id, _, _ = roster_scene(db, tiny)
    client.cookies.set(LANG_COOKIE, "en")
    page = client.get("/roster/review", params={"grid": tiny.a.committee.id}, headers=bearer(tokens["grid_a"]))
    assert page.status_code == 200, page.text
    html = page.text
    assert _shown_pair(html) == pair_id
    assert re.search(r'data-testid="remaining">1<', html)
    assert "60%" in html and "the model is unsure" in html and "Meanwhile the last run kept them apart" in html
    name = _row(html, "name")
    assert 'class="differs"' in name and "张伟" in name and "张玮" in name
    assert 'class="differs"' in _row(html, "document") and NUMBER in _row(html, "document")  # a clerk sees it whole
    assert 'class="differs"' not in _row(html, "address")  # both: unit 1, room 101
    assert "household registry" in _row(html, "source") and "door-to-door sweep" in _row(html, "source")
    for button in ("decide-same", "decide-different", "decide-skip"):
        assert f'data-testid="{button}"' in html


def test_same_stores_the_decision_and_takes_the_pair_out_of_the_queue(client, db, tiny, tokens):
    pair_id, _, _ = roster_scene(db, tiny)
    pair = db.get(ReviewPair, pair_id)
    a, b = sorted((pair.record_a, pair.record_b))
    grid = tiny.a.committee.id
    response = client.post(f"/roster/review/{pair_id}", params={"grid": grid}, data={"decision": "same"},
                           headers=bearer(tokens["grid_a"]), follow_redirects=False)  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == f"/roster/review?grid={grid}"
    db.expire_all()
    decision = db.get(LinkDecision, (a, b))
    assert decision is not None and decision.same is True
    assert db.get(ReviewPair, pair_id) is None
    client.cookies.set(LANG_COOKIE, "en")
    done = client.get(response.headers["location"], headers=bearer(tokens["grid_a"])).text
    assert 'data-testid="review-done"' in done and f'href="/areas/{grid}/roster"' in done


def test_skip_keeps_the_pair_but_puts_it_last(client, db, tiny, tokens):
    first, _, _ = roster_scene(db, tiny)  # probability 0.6: nearer 0.5, so shown first
    second = _second_pair(db, tiny)
    headers = bearer(tokens["grid_a"])
    assert _shown_pair(client.get("/roster/review", headers=headers).text) == first
    skipped = client.post(f"/roster/review/{first}", data={"decision": "skip"}, headers=headers,
                          follow_redirects=False)  # fmt: skip
    assert skipped.status_code == 303 and skipped.headers["location"] == "/roster/review"
    db.expire_all()
    assert db.get(ReviewPair, first).skipped_at is not None
    assert db.scalar(select(LinkDecision)) is None
    page = client.get("/roster/review", headers=headers).text
    assert _shown_pair(page) == second and re.search(r'data-testid="remaining">2<', page)


def test_a_decision_other_than_the_three_is_refused_with_a_reason(client, db, tiny, tokens):
    pair_id, _, _ = roster_scene(db, tiny)
    client.cookies.set(LANG_COOKIE, "en")
    response = client.post(f"/roster/review/{pair_id}", data={"decision": "maybe"}, headers=bearer(tokens["grid_a"]))
    assert response.status_code == 422
    assert "the decision must be one of: same, different, skip" in response.text
    db.expire_all()
    assert db.get(ReviewPair, pair_id) is not None


def test_an_unknown_pair_or_task_is_404(client, db, tiny, tokens):
    pair_id, task_id, _ = roster_scene(db, tiny)
    headers = bearer(tokens["grid_a"])
    assert client.post("/roster/review/999999", data={"decision": "same"}, headers=headers).status_code == 404
    close = f"/areas/{tiny.a.committee.id}/roster/tasks/999999/close"
    assert client.post(close, data={"outcome": "found"}, headers=headers).status_code == 404


def test_a_grid_worker_of_another_grid_gets_404(client, db, tiny, tokens):
    pair_id, task_id, _ = roster_scene(db, tiny)
    headers, grid = bearer(tokens["grid_b"]), tiny.a.committee.id
    assert client.get("/roster/review", params={"grid": grid}, headers=headers).status_code == 404
    assert client.post(f"/roster/review/{pair_id}", data={"decision": "same"}, headers=headers).status_code == 404
    assert client.get(f"/areas/{grid}/roster", headers=headers).status_code == 404
    close = f"/areas/{grid}/roster/tasks/{task_id}/close"
    assert client.post(close, data={"outcome": "found"}, headers=headers).status_code == 404
    own = client.post(f"/areas/{tiny.b.committee.id}/roster/tasks/{task_id}/close", data={"outcome": "found"},
                      headers=headers)  # fmt: skip
    assert own.status_code == 404  # the task is not in the grid the path names
    # Without a grid the queue is the caller's own areas: grid B has no pairs.
    assert 'data-testid="review-done"' in client.get("/roster/review", headers=headers).text
    db.expire_all()
    assert db.get(ReviewPair, pair_id) is not None and db.get(DoorKnockTask, task_id).status == "open"


def test_the_roster_page_lists_the_open_task_and_closing_it_stores_the_outcome(client, db, tiny, tokens):
    _, task_id, _ = roster_scene(db, tiny)
    headers, grid = bearer(tokens["grid_a"]), tiny.a.committee.id
    client.cookies.set(LANG_COOKIE, "en")
    page = client.get(f"/areas/{grid}/roster", headers=headers)
    assert page.status_code == 200, page.text
    assert f'data-task-id="{task_id}"' in page.text and "甲小区1号楼1单元101室" in page.text
    assert re.search(r'data-testid="count-review-pairs">1<', page.text)
    assert re.search(r'data-testid="count-not_at_door">1<', page.text)
    assert f'href="/roster/review?grid={grid}"' in page.text
    closed = client.post(f"/areas/{grid}/roster/tasks/{task_id}/close", data={"outcome": "moved_out", "note": "搬走了"},
                         headers=headers, follow_redirects=False)  # fmt: skip
    assert closed.status_code == 303 and closed.headers["location"].startswith(f"/areas/{grid}/roster")
    db.expire_all()
    task = db.get(DoorKnockTask, task_id)
    assert (task.status, task.outcome, task.note, task.closed_by is not None) == ("closed", "moved_out", "搬走了", True)
    after = client.get(f"/areas/{grid}/roster", headers=headers).text
    assert f'data-task-id="{task_id}"' not in after and "No open door-knock tasks." in after


def test_an_unknown_outcome_is_refused_with_a_reason(client, db, tiny, tokens):
    _, task_id, _ = roster_scene(db, tiny)
    client.cookies.set(LANG_COOKIE, "en")
    response = client.post(f"/areas/{tiny.a.committee.id}/roster/tasks/{task_id}/close", data={"outcome": "gone"},
                           headers=bearer(tokens["grid_a"]))  # fmt: skip
    assert response.status_code == 422 and "the task cannot be closed" in response.text
    db.expire_all()
    assert db.get(DoorKnockTask, task_id).status == "open"


def test_the_command_centre_sees_masked_id_numbers_and_no_close_forms(client, db, tiny, tokens):
    _, task_id, _ = roster_scene(db, tiny)
    url = f"/areas/{tiny.a.committee.id}/roster"
    clerk = client.get(url, headers=bearer(tokens["grid_a"])).text
    assert NUMBER in clerk and 'data-testid="close-task"' in clerk
    command = client.get(url, headers=bearer(tokens["command"]))
    assert command.status_code == 200
    assert NUMBER not in command.text and mask_document(NUMBER) in command.text
    assert 'data-testid="close-task"' not in command.text and 'data-testid="review-link"' not in command.text
    assert client.get("/roster/review", headers=bearer(tokens["command"])).status_code == 403
    closed = client.post(f"{url}/tasks/{task_id}/close", data={"outcome": "found"}, headers=bearer(tokens["command"]))
    assert closed.status_code == 403


def test_the_lists_switch_and_page(client, db, tiny, tokens):
    roster_scene(db, tiny)
    db.get(SourceRecord, db.scalar(select(SourceRecord.id).order_by(SourceRecord.id))).note = "check digit wrong"
    source = add_source(db, "sweep")
    for row in range(60):
        record = add_record(db, tiny.a, source, row + 10, f"住户{row:02d}", unit="3", room=f"{row:03d}")
        record.person_key, record.is_current = record.id, True
    db.flush()
    headers, url = bearer(tokens["grid_a"]), f"/areas/{tiny.a.committee.id}/roster"
    first = client.get(url, headers=headers).text
    assert re.search(r'data-testid="records-total">62<', first) and first.count('data-testid="record"') == 50
    assert 'data-testid="next-page"' in first and 'data-testid="previous-page"' not in first
    second = client.get(url, params={"offset": 50}, headers=headers).text
    assert second.count('data-testid="record"') == 12 and 'data-testid="previous-page"' in second
    invalid = client.get(url, params={"list": "invalid_documents"}, headers=headers).text
    assert re.search(r'data-testid="records-total">1<', invalid) and "check digit wrong" in invalid
    assert client.get(url, params={"list": "passwords"}, headers=headers).status_code == 422


def test_a_person_found_moved_out_leaves_who_lives_here_for_the_list_of_those_gone(client, db, tiny, tokens):
    roster_scene(db, tiny)
    record = db.scalar(select(SourceRecord).where(SourceRecord.is_current).order_by(SourceRecord.id))
    person = tiny.a.persons[0]
    person.roster_record_id, person.left_at, person.left_reason = record.id, NOW, "moved_out"
    db.flush()
    headers, url = bearer(tokens["grid_a"]), f"/areas/{tiny.a.committee.id}/roster"
    client.cookies.set(LANG_COOKIE, "en")
    here = client.get(url, headers=headers).text
    assert re.search(r'data-testid="records-total">1<', here)
    gone = client.get(url, params={"list": "left"}, headers=headers).text
    assert re.search(r'data-testid="records-total">1<', gone)
    assert re.search(r'data-testid="left-reason">moved out<', gone)
    api = client.get(f"/api/roster/grids/{tiny.a.committee.id}/records", params={"which": "left"}, headers=headers)
    assert api.status_code == 200
    assert [(r["id"], r["left_reason"]) for r in api.json()["items"]] == [(record.id, "moved_out")]
