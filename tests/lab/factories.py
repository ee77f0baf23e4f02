from __future__ import annotations

from itertools import count

from gridscreen.auth.models import Role
from gridscreen.auth.principal import AreaGrant, Principal
from gridscreen.lab import service
from gridscreen.lab.schemas import LabIn, ResultIn, ShipmentIn
from tests.sampling.factories import NOW

_codes = count(1)


def make_lab(db, area):
    command = Principal(1, "c", "c", Role.command, (AreaGrant(area.id, area.level),))
    lab = service.create_lab(
        db, command, LabIn(code=f"LAB{next(_codes)}", name="实验室", area_id=area.id, tubes_per_day=100_000)
    )
    return lab, Principal(2, "lab", "lab", Role.lab, (AreaGrant(area.id, area.level),))


def ship_and_receive(db, packer, lab_user, round_, lab, barcodes, *, arrived=None):
    code = f"BOX{next(_codes)}"
    service.create_shipment(
        db, packer, ShipmentIn(round_id=round_.id, code=code, lab_id=lab.id, barcodes=barcodes), now=NOW
    )
    return service.receive_shipment(db, lab_user, code, barcodes=barcodes if arrived is None else arrived, now=NOW)


def post(db, lab_user, lab, results: list[tuple[str, str]], upload: str | None = None):
    rows = [
        ResultIn(barcode=b, result=r, **({"ct_orf1ab": 30.0, "ct_n": 29.2} if r == "positive" else {}))
        for b, r in results
    ]
    return service.record_results(db, lab_user, lab_id=lab.id, upload=upload or f"U{next(_codes)}", rows=rows, now=NOW)
