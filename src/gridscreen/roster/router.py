"""HTTP for the roster: list uploads, reconciliation runs, the clerks' review queue, the grids' lists and
door-knock tasks. Thin: services do the work."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, UploadFile

from gridscreen import clock
from gridscreen.auth.deps import require
from gridscreen.auth.models import Role
from gridscreen.auth.principal import STAFF_ROLES, Principal
from gridscreen.http import DbSession, Page
from gridscreen.ids import MAX_ID, PathId
from gridscreen.roster import schemas, service
from gridscreen.roster.importer import SOURCE_KINDS, SourceUnreadable, parse_mapping, read_source

router = APIRouter(prefix="/api/roster", tags=["roster"])

# Lists come from the command centre (city-wide extracts) and from the grids' own sweeps; clerks who know
# the residents decide pairs and close tasks (they see ID numbers); the command centre watches.
Importer = Annotated[Principal, Depends(require(*STAFF_ROLES))]
Commander = Annotated[Principal, Depends(require(Role.command))]
Clerk = Annotated[Principal, Depends(require(Role.grid, Role.subdistrict, Role.district))]
Reader = Annotated[Principal, Depends(require(*STAFF_ROLES))]
GridParam = Annotated[int | None, Query(ge=1, le=MAX_ID, description="a grid (committee) id")]
MAX_UPLOAD_BYTES = 50_000_000
SUFFIXES = (".csv", ".xlsx", ".json")


@router.post("/sources", response_model=schemas.ImportOut, status_code=201)
def upload_source(
    db: DbSession,
    user: Importer,
    file: UploadFile,
    source_kind: Annotated[str, Form(pattern="^(" + "|".join(SOURCE_KINDS) + ")$")],
    mapping: Annotated[str, Form(max_length=2000)] = "",
    skip_bad_rows: Annotated[bool, Form()] = False,
    grid_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
):
    """Store a list (.csv, .xlsx or .json). A file with bad rows stores nothing unless `skip_bad_rows`;
    the answer lists the rows skipped and the ID numbers to check."""
    name = Path((file.filename or "upload.csv").replace("\x00", "")).name[:200]
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise SourceUnreadable(name, "give a .csv, .xlsx or .json file")
    content = file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise SourceUnreadable(name, "it is larger than 50 MB; split it")
    with tempfile.TemporaryDirectory(prefix="gridscreen-upload-") as folder:
        path = Path(folder) / name  # rows are reported against the name the user knows
        path.write_bytes(content)
        read = read_source(path, source_kind=source_kind, mapping=parse_mapping(mapping), skip_bad_rows=skip_bad_rows)
    source = service.import_source(db, user, read, file_name=name, grid_id=grid_id, now=clock.now())
    return schemas.ImportOut(
        **schemas.SourceOut.model_validate(source, from_attributes=True).model_dump(),
        skipped_rows=[schemas.RowProblemOut(row=p.row, reason=p.reason) for p in read.skipped],
        flagged_rows=[schemas.RowProblemOut(row=p.row, reason=p.reason) for p in read.flagged],
    )


@router.get("/sources", response_model=list[schemas.SourceOut])
def sources(db: DbSession, user: Reader):
    return [schemas.SourceOut.model_validate(s, from_attributes=True) for s in service.list_sources(db, user)]


@router.post("/runs", response_model=schemas.RunOut, status_code=201)
def run_reconciliation(db: DbSession, user: Commander):
    """Reconcile every stored record now (city-wide; for a whole city prefer `gridscreen roster reconcile`)."""
    from gridscreen.roster.reconciling import reconcile_roster  # Splink and DuckDB: loaded only when run

    return reconcile_roster(db, now=clock.now())


@router.get("/review", response_model=schemas.ReviewQueueOut)
def review_queue(
    db: DbSession, user: Clerk, grid_id: GridParam = None, limit: Annotated[int, Query(ge=1, le=200)] = 20
):
    pairs, total = service.review_queue(db, user, grid_id=grid_id, limit=limit)
    items = [
        schemas.ReviewPairOut(
            id=p.id,
            probability=p.probability,
            reason=p.reason,
            linked=p.linked,
            skipped=p.skipped_at is not None,
            a=schemas.RecordOut.of(user, a),
            b=schemas.RecordOut.of(user, b),
        )  # fmt: skip
        for p, a, b in pairs
    ]
    return schemas.ReviewQueueOut(items=items, total=total)


@router.post("/review/{pair_id}", status_code=204)
def decide(pair_id: PathId, data: schemas.DecisionIn, db: DbSession, user: Clerk) -> None:
    """Same person, different persons, or skip; every later run respects the decision."""
    same = {"same": True, "different": False, "skip": None}[data.decision]
    service.decide(db, user, pair_id, same=same, now=clock.now())


@router.get("/grids/{grid_id}/records", response_model=schemas.RecordPage)
def grid_list(
    grid_id: PathId, db: DbSession, user: Reader, page: Page,
    which: Annotated[str, Query(pattern="^(" + "|".join(service.GRID_LISTS) + ")$")] = "roster",
):  # fmt: skip
    """A grid's reconciled roster (who lives where now), its merged duplicates, its invalid ID numbers, or the
    persons a door-knock found gone."""
    records, total, sources, reasons = service.grid_list(db, user, grid_id, which=which, limit=page.limit,
                                                         offset=page.offset)  # fmt: skip
    items = [schemas.RecordOut.of(user, r, sources.get(r.person_key), reasons.get(r.person_key)) for r in records]
    return schemas.RecordPage(items=items, total=total)


@router.get("/persons/{person_key}", response_model=list[schemas.RecordOut])
def person_records(person_key: PathId, db: DbSession, user: Reader):
    """Every source record a reconciled person came from."""
    return [schemas.RecordOut.of(user, r) for r in service.records_of(db, user, person_key)]


@router.get("/tasks", response_model=schemas.TaskPage)
def tasks(
    db: DbSession, user: Reader, page: Page, grid_id: GridParam = None,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = "open",
):  # fmt: skip
    items, total = service.list_tasks(db, user, grid_id=grid_id, status=status, limit=page.limit,
                                      offset=page.offset)  # fmt: skip
    return schemas.TaskPage(items=items, total=total)


@router.post("/tasks/{task_id}/close", response_model=schemas.TaskOut)
def close_task(task_id: PathId, data: schemas.TaskCloseIn, db: DbSession, user: Clerk):
    return service.close_task(db, user, task_id, outcome=data.outcome, note=data.note, now=clock.now())
