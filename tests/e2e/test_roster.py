"""The roster in the browser: a grid worker decides two record pairs with the keyboard (y, then n) and closes a
door-knock task from the grid's roster page."""

from playwright.sync_api import expect
from sqlalchemy import select

from gridscreen import clock
from gridscreen.areas.models import Area, Level
from gridscreen.auth.models import User, UserArea
from gridscreen.db import transaction
from gridscreen.roster.models import DoorKnockTask, LinkDecision, ReviewPair, Source, SourceRecord
from tests.e2e.conftest import keep


def _seed(engine) -> tuple[int, list[tuple[int, int]], int]:
    """Two pairs waiting in the demo grid worker's grid (the less certain one first) and an open task."""
    with transaction(engine) as session:
        grid = session.scalar(
            select(Area).join(UserArea, UserArea.area_id == Area.id).join(User, User.id == UserArea.user_id)
            .where(User.username == "grid", Area.level == Level.committee)
        )  # fmt: skip
        building = session.scalar(
            select(Area).where(Area.level == Level.building, Area.committee_id == grid.id).order_by(Area.id).limit(1)
        )
        now = clock.now()
        sources = {}
        for kind in ("registry", "sweep"):
            sources[kind] = Source(source_kind=kind, file_name=f"e2e-{kind}.csv", imported_at=now, imported_by=0,
                                   records=2, skipped=0, flagged=0, unplaced=0)  # fmt: skip
        session.add_all(sources.values())
        session.flush()
        people = [("王芳", "王方", "1单元101室"), ("刘洋", "刘阳", "2单元202室")]
        pairs = []
        for row, (registered, swept, flat) in enumerate(people, start=2):
            a, b = (
                SourceRecord(source_id=sources[kind].id, source_kind=kind, row=row, name=name,
                             address=f"{building.name}{flat}", building_id=building.id, committee_id=grid.id,
                             district_id=grid.district_id, is_current=True)
                for kind, name in (("registry", registered), ("sweep", swept))
            )  # fmt: skip
            session.add_all([a, b])
            session.flush()
            a.person_key, b.person_key = a.id, b.id
            pairs.append((a.id, b.id))
        for (a, b), probability in zip(pairs, (0.5, 0.7), strict=True):
            session.add(ReviewPair(record_a=a, record_b=b, probability=probability, reason="uncertain", linked=False,
                                   committee_id=grid.id))  # fmt: skip
        task = DoorKnockTask(committee_id=grid.id, kind="not_at_door", record_id=pairs[0][0], person_key=pairs[0][0],
                             building_id=building.id, address=f"{building.name}1单元101室", name="王芳",
                             status="open", created_at=now)  # fmt: skip
        session.add(task)
        session.flush()
        return grid.id, pairs, task.id


def test_a_grid_worker_decides_pairs_with_the_keyboard_and_closes_a_task(page, login, live_site):
    grid, pairs, task_id = _seed(live_site.engine)
    login("grid")
    page.goto(f"{live_site.url}/roster/review")
    expect(page.get_by_test_id("remaining")).to_have_text("2")
    expect(page.get_by_test_id("record-a")).to_contain_text("王芳")
    expect(page.get_by_test_id("record-b")).to_contain_text("王方")
    expect(page.locator("tr[data-field=name]")).to_have_class("differs")
    keep(page, "roster-review")

    page.keyboard.press("y")
    expect(page.get_by_test_id("remaining")).to_have_text("1")
    expect(page.get_by_test_id("record-a")).to_contain_text("刘洋")
    page.keyboard.press("N")  # case does not matter
    expect(page.get_by_test_id("review-done")).to_be_visible()
    expect(page.get_by_test_id("remaining")).to_have_text("0")
    with transaction(live_site.engine) as session:
        decided = {(d.record_a, d.record_b): d.same for d in session.scalars(select(LinkDecision))}
        assert {pair: decided.get(pair) for pair in pairs} == {pairs[0]: True, pairs[1]: False}
        assert session.scalar(select(ReviewPair).where(ReviewPair.committee_id == grid)) is None

    page.get_by_test_id("back-to-roster").click()
    expect(page).to_have_url(f"{live_site.url}/areas/{grid}/roster")
    task = page.locator(f"[data-testid=task][data-task-id='{task_id}']")
    expect(task).to_contain_text("王芳")
    task.get_by_test_id("task-outcome").select_option("moved_out")
    task.get_by_test_id("task-note").fill("已搬到外区")
    task.get_by_test_id("task-close").click()
    expect(page.locator(f"[data-testid=task][data-task-id='{task_id}']")).to_have_count(0)
    with transaction(live_site.engine) as session:
        closed = session.get(DoorKnockTask, task_id)
        assert (closed.status, closed.outcome, closed.note) == ("closed", "moved_out", "已搬到外区")
