from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from gridscreen import clock
from gridscreen.auth.deps import require
from gridscreen.auth.models import Role
from gridscreen.auth.principal import STAFF_ROLES, Principal
from gridscreen.http import DbSession, request_translator
from gridscreen.ids import MAX_ID
from gridscreen.lab import schemas, service
from gridscreen.lab.exceptions import BadResultFile

router = APIRouter(prefix="/api", tags=["lab"])

Commander = Annotated[Principal, Depends(require(Role.command))]
Packer = Annotated[Principal, Depends(require(Role.sampler, Role.grid, Role.subdistrict, Role.district))]
LabUser = Annotated[Principal, Depends(require(Role.lab))]
LabReader = Annotated[Principal, Depends(require(*STAFF_ROLES, Role.sampler, Role.lab))]
ShipmentCode = Annotated[str, Path(min_length=1, max_length=32)]
MAX_UPLOAD_BYTES = 20_000_000


@router.post("/labs", response_model=schemas.LabOut, status_code=201)
def create_lab(data: schemas.LabIn, db: DbSession, user: Commander):
    return service.create_lab(db, user, data)


@router.get("/labs", response_model=list[schemas.LabOut])
def list_labs(db: DbSession, user: LabReader) -> list:
    return service.list_labs(db)


@router.post("/shipments", response_model=schemas.ShipmentOut, status_code=201)
def create_shipment(data: schemas.ShipmentIn, db: DbSession, user: Packer):
    return service.create_shipment(db, user, data, now=clock.now())


@router.post("/shipments/{code}/receive", response_model=schemas.ReceiptOut)
def receive_shipment(code: ShipmentCode, data: schemas.ReceiveIn, db: DbSession, user: LabUser):
    shipment, present, missing, unexpected = service.receive_shipment(
        db, user, code, barcodes=data.barcodes, now=clock.now()
    )
    return schemas.ReceiptOut(
        shipment=schemas.ShipmentOut.model_validate(shipment, from_attributes=True),
        present=present,
        missing=missing,
        unexpected=unexpected,
    )


def _answer(outcomes: list[schemas.ResultOutcome]) -> JSONResponse:
    """200 when nothing conflicts; 409 (with every row's outcome, the good rows stored) when some rows do."""
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in ("accepted", "duplicate", "rejected", "conflict")}
    body = schemas.ResultBatchOut(
        accepted=counts["accepted"],
        duplicates=counts["duplicate"],
        rejected=counts["rejected"],
        conflicts=counts["conflict"],
        outcomes=outcomes,
    )
    return JSONResponse(body.model_dump(), status_code=409 if counts["conflict"] else 200)


@router.post(
    "/results",
    response_model=schemas.ResultBatchOut,
    responses={409: {"description": "some rows disagree with accepted results; they are held for review"}},
)
def post_results(request: Request, batch: schemas.ResultBatchIn, db: DbSession, user: LabUser):
    outcomes = service.record_results(
        db,
        user,
        lab_id=batch.lab_id,
        upload=batch.upload,
        rows=batch.results,
        now=clock.now(),
        translate=request_translator(request),
    )
    return _answer(outcomes)


@router.post("/results/csv", response_model=schemas.ResultBatchOut, responses={409: {"description": "conflicts"}})
def post_results_csv(
    request: Request,
    db: DbSession,
    user: LabUser,
    lab_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    file: UploadFile,
):
    service.get_lab(db, user, lab_id)  # whose lab it is, before reading anything they sent
    content = file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise BadResultFile("it is larger than 20 MB; split it")
    rows = service.parse_results_csv(content)
    outcomes = service.record_results(
        db,
        user,
        lab_id=lab_id,
        upload=(file.filename or "upload.csv").replace("\x00", "")[:64],
        rows=rows,
        now=clock.now(),
        translate=request_translator(request),
    )
    return _answer(outcomes)


@router.get("/results/review", response_model=list[dict])
def review(lab_id: Annotated[int, Query(ge=1, le=MAX_ID)], db: DbSession, user: LabUser) -> list[dict]:
    return [
        {
            "barcode": r.barcode,
            "result": r.result,
            "status": r.status,
            "reason": r.reason,
            "upload": r.upload,
            "row": r.row,
        }
        for r in service.review_list(db, user, lab_id)
    ]
