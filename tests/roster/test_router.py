"""The roster API as grid staff and the command centre use it: uploads that store all or nothing, the
clerks' review queue, and door-knock tasks closed with an outcome."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import func, select

from gridscreen.roster.models import DoorKnockTask, LinkDecision, ReviewPair, SourceRecord
from tests.auth.factories import bearer
from tests.roster.factories import roster_scene

HEADER = "name,document_number,birth_date,compound,building,unit,room\n"


def _upload(client, token, body: bytes, *, name="sweep.csv", **form):
    data = {"source_kind": "sweep", **{k: str(v) for k, v in form.items()}}
    headers = bearer(token) | {"Accept-Language": "en"}
    return client.post("/api/roster/sources", headers=headers, files={"file": (name, body)}, data=data)


def _records(db) -> int:
    return db.scalar(select(func.count()).select_from(SourceRecord))


def test_a_sweep_list_is_stored_with_each_record_at_its_building(client, db, tiny, tokens):
    body = (HEADER + "张伟,,1990-03-07,甲小区,1号楼,1单元,101\n王芳,,,甲小区,1号楼,1,102\n").encode()
    stored = _upload(client, tokens["grid_a"], body)
    assert stored.status_code == 201, stored.text
    assert stored.json()["records"] == 2 and stored.json()["unplaced"] == 0
    buildings = db.scalars(select(SourceRecord.building_id).where(SourceRecord.source_id == stored.json()["id"]))
    assert set(buildings) == {tiny.a.building.id}


def test_a_file_with_a_bad_row_stores_nothing_unless_bad_rows_are_skipped(client, db, tiny, tokens):
    body = (
        HEADER + "张伟,,1990-03-07,甲小区,1号楼,1,101\n,,,甲小区,1号楼,1,102\n李四,,2099-01-01,甲小区,1号楼,1,102\n"
    ).encode()
    before = _records(db)
    refused = _upload(client, tokens["grid_a"], body)
    assert refused.status_code == 422
    assert (
        refused.json()["detail"].startswith("sweep.csv: 2 rows cannot be used") and "row 3" in refused.json()["detail"]
    )
    assert _records(db) == before
    skipped = _upload(client, tokens["grid_a"], body, skip_bad_rows="true")
    assert skipped.status_code == 201
    assert [(r["row"], "future" in r["reason"]) for r in skipped.json()["skipped_rows"]] == [(3, False), (4, True)]
    assert _records(db) == before + 1


def test_a_grid_worker_cannot_import_records_of_another_grid(client, db, tiny, tokens):
    before = _records(db)
    body = (HEADER + "张伟,,,甲小区,1号楼,1,101\n赵六,,,乙小区,1号楼,1,101\n").encode()
    refused = _upload(client, tokens["grid_a"], body)
    assert refused.status_code == 403 and "row 3" in refused.json()["detail"]
    assert _records(db) == before


def test_records_at_no_known_building_need_the_grid_they_come_from(client, tiny, tokens):
    body = (HEADER + "张伟,,,不存在小区,9号楼,1,101\n").encode()
    assert _upload(client, tokens["grid_a"], body).status_code == 422
    placed = _upload(client, tokens["grid_a"], body, grid_id=tiny.a.committee.id)
    assert placed.status_code == 201 and placed.json()["unplaced"] == 0


def test_an_excel_list_whose_id_numbers_excel_rounded_is_stored_and_flagged(client, tiny, tokens):
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号码", "小区", "楼栋", "室"])
    sheet.append(["张伟", 110101199003071000.0, "甲小区", "1号楼", "101"])  # what Excel keeps of 110101199003071234
    raw = io.BytesIO()
    book.save(raw)
    stored = _upload(client, tokens["grid_a"], raw.getvalue(), name="扫楼.xlsx",
                     mapping="name=姓名,document_number=身份证号码,compound=小区,building=楼栋,room=室")  # fmt: skip
    assert stored.status_code == 201, stored.text
    assert "Excel" in stored.json()["flagged_rows"][0]["reason"]


def test_a_file_that_is_not_a_list_gets_a_reason(client, tiny, tokens):
    answer = _upload(client, tokens["grid_a"], b"\x89PNG...", name="photo.png")
    assert answer.status_code == 422 and ".csv, .xlsx or .json" in answer.json()["detail"]


def test_a_clerk_decides_a_pair_and_the_decision_is_kept(client, db, tiny, tokens):
    pair_id, _, _ = roster_scene(db, tiny)
    queue = client.get("/api/roster/review", params={"grid_id": tiny.a.committee.id}, headers=bearer(tokens["grid_a"]))
    assert queue.status_code == 200
    item = queue.json()["items"][0]
    assert item["id"] == pair_id and item["a"]["document_number"] == "110101199003071234"  # a clerk sees it whole
    decided = client.post(f"/api/roster/review/{pair_id}", json={"decision": "different"},
                          headers=bearer(tokens["grid_a"]))  # fmt: skip
    assert decided.status_code == 204
    assert db.scalar(select(LinkDecision.same)) is False
    assert db.get(ReviewPair, pair_id) is None
    bad = client.post(f"/api/roster/review/{pair_id}", json={"decision": "maybe"}, headers=bearer(tokens["grid_a"]))
    assert bad.status_code == 422


def test_the_command_centre_sees_grid_lists_with_id_numbers_masked(client, db, tiny, tokens):
    roster_scene(db, tiny)
    listed = client.get(f"/api/roster/grids/{tiny.a.committee.id}/records", headers=bearer(tokens["command"]))
    assert listed.status_code == 200
    numbers = [r["document_number"] for r in listed.json()["items"] if r["document_number"]]
    assert numbers == ["110" + "*" * 11 + "1234"]


def test_a_door_knock_task_is_closed_once_with_an_outcome(client, db, tiny, tokens):
    _, task_id, _ = roster_scene(db, tiny)
    url = f"/api/roster/tasks/{task_id}/close"
    closed = client.post(url, json={"outcome": "moved_out", "note": "搬去浦东了"}, headers=bearer(tokens["grid_a"]))
    assert closed.status_code == 200 and closed.json()["outcome"] == "moved_out"
    assert db.get(DoorKnockTask, task_id).closed_at is not None
    again = client.post(url, json={"outcome": "found"}, headers=bearer(tokens["grid_a"]))
    assert again.status_code == 409
    assert client.post(url, json={"outcome": "vanished"}, headers=bearer(tokens["grid_a"])).status_code == 422
