"""Labs: boxes of tubes checked against their manifest, and results staged, checked and accepted."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridscreen.areas import service as areas
from gridscreen.areas.models import Area
from gridscreen.auth.principal import Principal
from gridscreen.errors import DomainError, NotFound
from gridscreen.i18n import Translate
from gridscreen.lab.exceptions import (
    BadResultFile,
    BadResultRow,
    DisagreesWithAccepted,
    LabNotFound,
    NotReceived,
    OtherLab,
    ShipmentAlreadyReceived,
    ShipmentCodeTaken,
    ShipmentNotFound,
    TubeNotShippable,
    UnknownTube,
)
from gridscreen.lab.models import Lab, Shipment, ShipmentStatus, ShipmentTube, StagedResult, StagedStatus
from gridscreen.lab.schemas import LabIn, ResultIn, ResultOutcome, ShipmentIn
from gridscreen.planning import service as planning
from gridscreen.sampling import service as sampling
from gridscreen.sampling import tube_state
from gridscreen.sampling.barcode import validate_barcode
from gridscreen.sampling.models import Tube
from gridscreen.sampling.tube_state import TubeStatus


def create_lab(session: Session, principal: Principal, data: LabIn) -> Lab:
    areas.get_area(session, principal, data.area_id)
    lab = Lab(**data.model_dump())
    session.add(lab)
    session.flush()
    return lab


def get_lab(session: Session, principal: Principal, lab_id: int) -> Lab:
    lab = session.get(Lab, lab_id)
    if lab is None or not principal.covers(session.get(Area, lab.area_id)):
        raise LabNotFound(lab_id)
    return lab


def list_labs(session: Session) -> list[Lab]:
    return list(session.scalars(select(Lab).order_by(Lab.code)))


def _tube_state(tube: Tube) -> tube_state.Tube:
    return tube_state.Tube(pool_size=tube.pool_size, members=tube.members, status=tube.status)


def create_shipment(session: Session, principal: Principal, data: ShipmentIn, *, now: datetime) -> Shipment:
    """Pack sealed tubes into a box for a lab; the manifest is the list of barcodes."""
    planning.ensure_running(session, data.round_id)
    if session.get(Lab, data.lab_id) is None:
        raise NotFound("lab {lab_id} does not exist", lab_id=data.lab_id)
    if session.scalar(select(Shipment.id).where(Shipment.code == data.code)) is not None:
        raise ShipmentCodeTaken(data.code)
    barcodes = sorted({validate_barcode(b) for b in data.barcodes})
    tubes = [sampling.get_tube(session, principal, b) for b in barcodes]
    first = tubes[0]
    shipment = Shipment(
        round_id=data.round_id,
        code=data.code,
        lab_id=data.lab_id,
        committee_id=first.committee_id,
        district_id=first.district_id,
        status=ShipmentStatus.packed,
        tubes=len(tubes),
        packed_at=now,
    )
    session.add(shipment)
    session.flush()
    for tube in tubes:
        if tube.status != TubeStatus.sealed or tube.round_id != data.round_id:
            raise TubeNotShippable(tube.barcode, tube.status)
        tube.status = tube_state.ship(_tube_state(tube), barcode=tube.barcode).status
        tube.shipment_id = shipment.id
        session.add(ShipmentTube(shipment_id=shipment.id, barcode=tube.barcode, tube_id=tube.id))
    session.flush()
    return shipment


def get_shipment(session: Session, principal: Principal, code: str) -> Shipment:
    shipment = session.scalar(select(Shipment).where(Shipment.code == code))
    if shipment is None:
        raise ShipmentNotFound(code)
    try:
        get_lab(session, principal, shipment.lab_id)
    except LabNotFound:
        raise ShipmentNotFound(code) from None
    return shipment


def receive_shipment(
    session: Session, principal: Principal, code: str, *, barcodes: Sequence[str], now: datetime
) -> tuple[Shipment, int, list[str], list[str]]:
    """Check a box against its manifest: (shipment, tubes present, missing barcodes, unexpected barcodes)."""
    shipment = get_shipment(session, principal, code)
    if shipment.status != ShipmentStatus.packed:
        raise ShipmentAlreadyReceived(code)
    found = {validate_barcode(b) for b in barcodes}
    manifest = {
        line.barcode: line
        for line in session.scalars(select(ShipmentTube).where(ShipmentTube.shipment_id == shipment.id))
    }
    missing = sorted(set(manifest) - found)
    unexpected = sorted(found - set(manifest))
    present = 0
    for barcode, line in manifest.items():
        line.check = "present" if barcode in found else "missing"
    arrived = session.scalars(
        select(Tube).where(Tube.barcode.in_(sorted(found))).order_by(Tube.barcode).with_for_update()
    )
    for tube in arrived:
        if tube.status == TubeStatus.shipped:
            tube.status = tube_state.receive(_tube_state(tube), barcode=tube.barcode).status
            present += tube.barcode in manifest
            shipment.arrived += 1
            if tube.barcode not in manifest:
                tube.shipment_id = shipment.id  # it came in this box, so its result belongs to this lab
    for barcode in unexpected:
        tube_id = session.scalar(select(Tube.id).where(Tube.barcode == barcode))
        session.add(ShipmentTube(shipment_id=shipment.id, barcode=barcode, tube_id=tube_id, check="unexpected"))
    shipment.status, shipment.received_at = ShipmentStatus.received, now
    session.flush()
    return shipment, present, missing, unexpected


def record_results(
    session: Session,
    principal: Principal,
    *,
    lab_id: int,
    upload: str,
    rows: Sequence[ResultIn | DomainError],
    now: datetime,
    translate: Translate = lambda s: s,
) -> list[ResultOutcome]:
    """Stage every row, accept the good ones (which decides each member's outcome), keep the rest with a reason."""
    lab = get_lab(session, principal, lab_id)
    done = {
        r.row: r
        for r in session.scalars(
            select(StagedResult).where(StagedResult.lab_id == lab.id, StagedResult.upload == upload)
        )
    }
    outcomes = []
    for number, row in enumerate(rows, start=1):
        if number in done:  # the same upload sent again: report what happened the first time
            previous = done[number]
            outcomes.append(
                ResultOutcome(row=number, barcode=previous.barcode, status="duplicate", reason=previous.reason)
            )
            continue
        if isinstance(row, DomainError):
            outcomes.append(ResultOutcome(row=number, barcode="", status="rejected", reason=row.message(translate)))
            _stage(session, lab, upload, number, None, StagedStatus.rejected, row.message(), now)
            continue
        status, error = _accept(session, lab, row, now)
        reason = error.message(translate) if error else None
        _stage(session, lab, upload, number, row, status, error.message() if error else None, now)
        outcomes.append(ResultOutcome(row=number, barcode=row.barcode, status=status.value, reason=reason))
    session.flush()
    return outcomes


def _accept(session: Session, lab: Lab, row: ResultIn, now: datetime) -> tuple[StagedStatus, DomainError | None]:
    try:
        barcode = validate_barcode(row.barcode)
    except DomainError as error:
        return StagedStatus.rejected, error
    tube = session.scalar(select(Tube).where(Tube.barcode == barcode).with_for_update())
    if tube is None:
        return StagedStatus.rejected, UnknownTube(barcode)
    if tube.result is not None:
        if tube.result == row.result:
            return StagedStatus.duplicate, None
        return StagedStatus.conflict, DisagreesWithAccepted(barcode, tube.result)
    if tube.status != TubeStatus.received:
        return StagedStatus.rejected, NotReceived(barcode)
    shipment = session.get(Shipment, tube.shipment_id) if tube.shipment_id else None
    if shipment is None or shipment.lab_id != lab.id:
        return StagedStatus.rejected, OtherLab(barcode)
    sampling.apply_result(session, tube, result=row.result.value, ct=(row.ct_orf1ab, row.ct_n), now=now)
    shipment.resulted += 1
    if shipment.resulted >= shipment.arrived:
        shipment.done_at = now
    return StagedStatus.accepted, None


def _stage(session, lab, upload, number, row: ResultIn | None, status, reason, now) -> None:
    session.add(
        StagedResult(
            lab_id=lab.id,
            upload=upload,
            row=number,
            barcode=(row.barcode if row else "")[:32],
            result=row.result.value if row else "",
            ct_orf1ab=row.ct_orf1ab if row else None,
            ct_n=row.ct_n if row else None,
            run=row.run if row else None,
            status=status,
            reason=reason[:200] if reason else None,
            received_at=now,
        )
    )


def parse_results_csv(content: bytes) -> list[ResultIn | DomainError]:
    """Rows of a lab's CSV (barcode, result, ct_orf1ab, ct_n, run); a bad row becomes an error in its place."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadResultFile("it is not UTF-8 text") from None
    if "\x00" in text:
        raise BadResultFile("it contains NUL characters: is it really a CSV file?")
    reader = csv.DictReader(io.StringIO(text))
    columns = {c.strip().lower() for c in reader.fieldnames or []}
    if not {"barcode", "result"} <= columns:
        raise BadResultFile("it needs the columns barcode and result (ct_orf1ab, ct_n and run are optional)")
    rows: list[ResultIn | DomainError] = []
    for raw in reader:
        record = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        try:
            rows.append(
                ResultIn(
                    barcode=record.get("barcode", ""),
                    result=record.get("result", "").lower(),
                    ct_orf1ab=float(record["ct_orf1ab"]) if record.get("ct_orf1ab") else None,
                    ct_n=float(record["ct_n"]) if record.get("ct_n") else None,
                    run=record.get("run") or None,
                )
            )
        except (ValidationError, ValueError):
            rows.append(BadResultRow())
    if not rows:
        raise BadResultFile("it has no rows")
    return rows


def review_list(session: Session, principal: Principal, lab_id: int) -> list[StagedResult]:
    lab = get_lab(session, principal, lab_id)
    return list(
        session.scalars(
            select(StagedResult)
            .where(
                StagedResult.lab_id == lab.id, StagedResult.status.in_([StagedStatus.conflict, StagedStatus.rejected])
            )
            .order_by(StagedResult.received_at.desc(), StagedResult.id.desc())
            .limit(500)
        )
    )
