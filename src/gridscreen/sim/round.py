"""A round you can watch: drive one all-resident round on a generated city through the real HTTP API.

Residents show their signed codes at their grid's site in waves, households packed into pooled tubes; tubes
go to labs in boxes; labs send results (positive when a member is infected); door-to-door teams then work
the missing list and the single-tube retests of pooled positives, until nobody is missing. A few people on
no list turn up at sites. The simulator reads the roster straight from the database (the residents know
who they are); everything the round does goes through the API, as devices, grid staff and labs would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import count

from rich.progress import Progress
from sqlalchemy import Engine, select

from gridscreen.areas.models import Area, Level
from gridscreen.auth import service as auth
from gridscreen.auth.models import Role, User
from gridscreen.config import get_settings
from gridscreen.db import transaction
from gridscreen.people.identity import make_resident_id
from gridscreen.people.models import Person
from gridscreen.sampling.barcode import make_barcode
from gridscreen.sampling.pooling import pack_households
from gridscreen.sampling.resident_code import sign_resident_code

SIM_PASSWORD = "sim-round-2022"
BATCH = 100


@dataclass
class RoundPlan:
    seed: int = 2022
    prevalence: float = 0.002  # share of households with an infection
    turnout: float = 0.93  # share of households that come to the site; the rest wait for a knock on the door
    found_share: float = 0.002  # people on no list who turn up at a site
    invalid_share: float = 0.001  # tubes the lab reports invalid
    grids: int | None = None  # only the first N grids (by code), for a quick round
    door_passes: int = 5  # door-to-door passes at most (0 leaves the missing list for the grid to work)
    planted: frozenset[int] | None = None  # infected person ids (tests plant them); otherwise drawn
    # Tubes each lab tests while one grid's site is open (None: every tube as it arrives). Labs short of that
    # build a backlog; they work it off before the door-to-door passes unless the round stops in progress.
    lab_capacity: int | None = None
    in_progress: bool = False  # stop after the site waves: no door-to-door, labs left with their backlog


@dataclass
class RoundReport:
    round_id: int
    grids: int
    scans: int = 0
    tubes: int = 0
    infected: set[int] = field(default_factory=set)
    door_passes: int = 0
    lab_backlog: int = 0  # tubes received and not yet resulted when the simulation stopped
    coverage: dict = field(default_factory=dict)


def prepare_users(engine: Engine) -> None:
    """Create (once) the simulator's own logins: a commander, and per district a staff user, a sampler, a lab."""
    with transaction(engine) as session:
        city = session.scalar(select(Area).where(Area.level == Level.city))
        wanted = [("sim-command", Role.command, city)]
        for district in session.scalars(select(Area).where(Area.level == Level.district).order_by(Area.code)):
            for role in (Role.district, Role.sampler, Role.lab):
                wanted.append((f"sim-{role.value}-{district.code}", role, district))
        existing = set(session.scalars(select(User.username).where(User.username.like("sim-%"))))
        for username, role, area in wanted:
            if username not in existing:
                auth.create_user(
                    session, username=username, password=SIM_PASSWORD, role=role, display_name=username,
                    area_ids=[area.id],
                )  # fmt: skip


class _Api:
    def __init__(self, client) -> None:
        self.client, self.tokens = client, {}

    def as_(self, username: str) -> dict[str, str]:
        if username not in self.tokens:
            answer = self.call("POST", "/api/auth/token", None, json={"username": username, "password": SIM_PASSWORD})
            self.tokens[username] = answer["access_token"]
        return {"Authorization": f"Bearer {self.tokens[username]}", "Accept-Language": "en"}

    def call(self, method: str, url: str, user: str | None, *, ok=(200, 201), **kwargs):
        headers = self.as_(user) if user else {}
        response = self.client.request(method, url, headers=headers, **kwargs)
        if response.status_code not in ok:
            raise RuntimeError(f"{method} {url} -> {response.status_code}: {response.text[:300]}")
        return response.json() if response.content else None


def simulate_round(client, engine: Engine, plan: RoundPlan, *, progress: Progress | None = None) -> RoundReport:
    """Run a whole round through `client` (an httpx-style client of the app); returns what happened."""
    rng = random.Random(plan.seed)
    api = _Api(client)
    prepare_users(engine)
    blocks = api.call("GET", "/api/blocks", "sim-command")
    earlier = api.call("GET", "/api/rounds", "sim-command")  # newest first: its positives set the pool advice
    code = f"SIM{plan.seed}-{datetime.now(UTC):%H%M%S%f}"
    round_ = api.call(
        "POST", "/api/rounds", "sim-command",
        json={"code": code, "name": "模拟轮次", "previous_round_id": earlier[0]["id"] if earlier else None, "blocks": [
            {"block_id": b["id"], "sample_date": b["start_date"]} for b in blocks
        ]},
    )  # fmt: skip
    grids = _grids(engine, plan.grids)
    report = RoundReport(round_id=round_["id"], grids=len(grids))
    labs = _labs(api, engine)
    serials = count(round_["id"] * 10**7)  # each round its own range of barcodes (10M tubes)
    queues = _LabQueues(api, rng, plan, round_["id"])
    task = progress.add_task("site waves", total=sum(len(h) for _, _, h in grids)) if progress else None
    runs = []
    for grid_id, district_code, households in grids:
        infected = _infections(rng, households, plan)
        report.infected |= infected
        lab = (labs[district_code], f"sim-lab-{district_code}")
        run = _GridRun(api, report, round_["id"], grid_id, district_code, lab, queues, rng, serials, plan)
        run.site_waves(households, infected)
        queues.work(plan.lab_capacity)
        runs.append((run, households, infected))
        if progress:
            progress.advance(task, len(households))
    if not plan.in_progress:
        queues.work(None)
        task = progress.add_task("door to door", total=len(runs)) if progress else None
        for run, households, infected in runs:
            passes = run.door_to_door(households, infected, max_passes=plan.door_passes)
            report.door_passes = max(report.door_passes, passes)
            if progress:
                progress.advance(task)
    report.lab_backlog = queues.waiting()
    city = _city_id(engine)
    report.coverage = api.call(
        "GET", f"/api/rounds/{report.round_id}/coverage", "sim-command", params={"area_id": city}
    )
    return report


def _grids(engine: Engine, limit: int | None) -> list[tuple[int, str, list[list[int]]]]:
    """(grid id, district code, households as lists of the ids of persons living there), grids in code order."""
    with transaction(engine) as session:
        query = select(Area.id, Area.district_id).where(Area.level == Level.committee).order_by(Area.code)
        rows = session.execute(query.limit(limit) if limit else query).all()
        districts = dict(session.execute(select(Area.id, Area.code).where(Area.level == Level.district)).all())
        result = []
        for grid_id, district_id in rows:
            households: dict[int, list[int]] = {}
            persons = session.execute(
                select(Person.household_id, Person.id)
                .where(Person.committee_id == grid_id, Person.left_at.is_(None))
                .order_by(Person.id)
            )
            for household_id, person_id in persons:
                households.setdefault(household_id, []).append(person_id)
            result.append((grid_id, districts[district_id], list(households.values())))
        return result


def _city_id(engine: Engine) -> int:
    with transaction(engine) as session:
        return session.scalar(select(Area.id).where(Area.level == Level.city))


def _labs(api: _Api, engine: Engine) -> dict[str, int]:
    """One lab per district, standing in it."""
    with transaction(engine) as session:
        districts = session.execute(select(Area.id, Area.code).where(Area.level == Level.district)).all()
    existing = {lab["code"]: lab["id"] for lab in api.call("GET", "/api/labs", "sim-command")}
    labs = {}
    for area_id, code in districts:
        lab_code = f"SIM-LAB-{code}"
        if lab_code not in existing:
            body = {"code": lab_code, "name": f"检测实验室 {code}", "area_id": area_id, "tubes_per_day": 200_000}
            existing[lab_code] = api.call("POST", "/api/labs", "sim-command", json=body)["id"]
        labs[code] = existing[lab_code]
    return labs


def _infections(rng: random.Random, households: list[list[int]], plan: RoundPlan) -> set[int]:
    if plan.planted is not None:
        return {p for members in households for p in members if p in plan.planted}
    infected = set()
    for members in households:
        if rng.random() < plan.prevalence:  # infections cluster in households
            infected |= {p for p in members if rng.random() < 0.6} or {members[0]}
    return infected


class _LabQueues:
    """Each lab's tubes received and not yet tested, first in first out; results go up one upload per batch."""

    def __init__(self, api: _Api, rng: random.Random, plan: RoundPlan, round_id: int) -> None:
        self.api, self.rng, self.plan, self.round_id = api, rng, plan, round_id
        self.queues: dict[tuple[int, str], list[tuple[str, bool]]] = {}
        self.uploads = count(1)

    def add(self, lab: tuple[int, str], tubes: list[tuple[str, bool]]) -> None:
        self.queues.setdefault(lab, []).extend(tubes)

    def waiting(self) -> int:
        return sum(len(q) for q in self.queues.values())

    def work(self, capacity: int | None) -> None:
        """Every lab tests up to `capacity` tubes from the head of its queue (None: all of them)."""
        for (lab_id, lab_user), queue in self.queues.items():
            done = queue[: len(queue) if capacity is None else capacity]
            del queue[: len(done)]
            for start in range(0, len(done), 500):
                results = [self._result(barcode, positive) for barcode, positive in done[start : start + 500]]
                # Upload names are the lab's own: the same name again would be taken for a resend.
                upload = f"sim-{self.round_id}-{lab_id}-{next(self.uploads)}"
                body = {"lab_id": lab_id, "upload": upload, "results": results}
                self.api.call("POST", "/api/results", lab_user, json=body)

    def _result(self, barcode: str, positive: bool) -> dict:
        value = "positive" if positive else "negative"
        if self.rng.random() < self.plan.invalid_share:
            value = "invalid"
        cts = {"ct_orf1ab": 28.5, "ct_n": 27.1} if value == "positive" else {}
        return {"barcode": barcode, "result": value, **cts}


class _GridRun:
    def __init__(self, api, report, round_id, grid_id, district_code, lab, queues, rng, serials, plan) -> None:
        self.api, self.report, self.round_id, self.grid_id = api, report, round_id, grid_id
        self.staff, self.sampler = f"sim-district-{district_code}", f"sim-sampler-{district_code}"
        self.lab, self.queues, self.rng, self.serials, self.plan = lab, queues, rng, serials, plan
        self.secret = get_settings().resident_code_key
        self.device, self.seq = f"sim-{round_id}-{grid_id}", count(1)
        self.clock = datetime.now(UTC) - timedelta(hours=6)
        base = f"/api/rounds/{round_id}"
        self.site = api.call(
            "POST",
            f"{base}/sites",
            self.staff,
            json={"code": f"G{grid_id}", "name": "核酸采样点", "committee_id": grid_id},
        )["id"]  # noqa: E501
        self.route = api.call(
            "POST", f"{base}/routes", self.staff, json={"code": f"D{grid_id}", "committee_id": grid_id}
        )["id"]  # noqa: E501
        advice = api.call("GET", f"{base}/pool-advice", self.staff, params={"area_id": grid_id})
        policy = advice["current"] or {"pooling": "pooled", "pool_size": 10}
        self.pool_size = 1 if policy["pooling"] == "single" else policy["pool_size"]

    def site_waves(self, households: list[list[int]], infected: set[int]) -> None:
        arriving = [h for h in households if self.rng.random() < self.plan.turnout]
        found = [[-(i + 1)] for i in range(int(len(households) * self.plan.found_share))]
        self._sample(arriving + found, infected, place={"site_id": self.site}, pool_size=self.pool_size)

    def door_to_door(self, households: list[list[int]], infected: set[int], max_passes: int) -> int:
        """Knock until nobody is missing and no retest is open; returns the number of passes."""
        base = f"/api/rounds/{self.round_id}"
        for passes in range(1, max_passes + 1):
            missing = self._all(f"{base}/missing")
            retests = self._all(f"{base}/retests")
            if not missing and not retests:
                return passes - 1
            self._sample([[p["person"]["id"]] for p in retests], infected, place={"route_id": self.route}, pool_size=1)
            by_household: dict[int, list[int]] = {}
            held = {r["person"]["id"] for r in retests}
            for item in missing:
                if item["person"]["id"] not in held:
                    by_household.setdefault(item["person"]["household_id"], []).append(item["person"]["id"])
            self._sample(
                list(by_household.values()), infected, place={"route_id": self.route}, pool_size=self.pool_size
            )
            self.queues.work(None)  # door-to-door tubes are few: the labs test them before the next pass
        return max_passes

    def _all(self, url: str) -> list[dict]:
        items, offset = [], 0
        while True:
            page = self.api.call(
                "GET", url, self.sampler, params={"area_id": self.grid_id, "limit": 500, "offset": offset}
            )
            items += page["items"]
            offset += len(page["items"])
            if offset >= page["total"] or not page["items"]:
                return items

    def _sample(self, households: list[list[int]], infected: set[int], *, place: dict, pool_size: int) -> None:
        if not households:
            return
        tubes: list[tuple[str, list[int]]] = []
        for tube in pack_households([len(h) for h in households], pool_size):
            taken: list[int] = []
            for index, n in tube:
                taken += households[index][:n]
                households[index] = households[index][n:]
            tubes.append((make_barcode("SIM", next(self.serials) % 10**10), taken))
        scans = []
        for barcode, members in tubes:
            for i, person in enumerate(members):
                scans.append(self._scan(person, barcode, place, close=i == len(members) - 1))
        for start in range(0, len(scans), BATCH):
            answer = self.api.call(
                "POST", "/api/scans", self.sampler,
                json={"device_id": self.device, "round_id": self.round_id, "scans": scans[start : start + BATCH]},
            )  # fmt: skip
            self.report.scans += answer["stored"]
            refused = [o["reason"] for o in answer["outcomes"] if o["status"] == "rejected"]
            if refused:  # the simulated devices scan correctly: a refusal is a fault worth stopping for
                raise RuntimeError(f"{len(refused)} scans refused, e.g. {refused[0]}")
        self.report.tubes += len(tubes)
        self._lab([b for b, _ in tubes], {b: any(p in infected for p in m) for b, m in tubes})

    def _scan(self, person: int, barcode: str, place: dict, *, close: bool) -> dict:
        # A site swabs a few people a minute per sampler; never later than now (the server refuses the future).
        self.clock = min(self.clock + timedelta(seconds=5), datetime.now(UTC))
        scan = {"device_seq": next(self.seq), "tube": barcode, "scanned_at": self.clock.isoformat(), **place}
        if person < 0:  # somebody on no list, with the ID card they carry
            born = date(1970, 1, 1) + timedelta(days=self.rng.randrange(15_000))
            scan |= {"document_type": "resident_id", "name": "来访人员",
                     "document_number": make_resident_id("320102", born, self.rng.randrange(1000))}  # fmt: skip
        else:
            scan["resident_code"] = sign_resident_code(person, secret=self.secret)
        if close:
            scan["close_tube"] = True
        return scan

    def _lab(self, barcodes: list[str], positive: dict[str, bool]) -> None:
        """Box the tubes for the district's lab; the lab receives them and queues them for testing."""
        lab_id, lab_user = self.lab
        for start in range(0, len(barcodes), 500):
            box = barcodes[start : start + 500]
            code = f"B{self.round_id}-{self.grid_id}-{next(self.seq)}"
            body = {"round_id": self.round_id, "code": code, "lab_id": lab_id, "barcodes": box}
            self.api.call("POST", "/api/shipments", self.staff, json=body)
            self.api.call("POST", f"/api/shipments/{code}/receive", lab_user, json={"barcodes": box})
            self.queues.add(self.lab, [(b, positive[b]) for b in box])
