from gridscreen.errors import Conflict, Invalid, NotFound


class LabNotFound(NotFound):
    def __init__(self, lab_id: int) -> None:
        super().__init__("lab {lab_id} does not exist or is not yours", lab_id=lab_id)


class ShipmentNotFound(NotFound):
    def __init__(self, code: str) -> None:
        super().__init__("shipment {code} does not exist or is not yours", code=code)


class ShipmentCodeTaken(Conflict):
    def __init__(self, code: str) -> None:
        super().__init__("a shipment with code {code} already exists", code=code)


class ShipmentAlreadyReceived(Conflict):
    def __init__(self, code: str) -> None:
        super().__init__("shipment {code} was already received", code=code)


class TubeNotShippable(Conflict):
    translated_params = ("status",)

    def __init__(self, barcode: str, status: str) -> None:
        super().__init__("tube {barcode} is {status}; only sealed tubes go into a box", barcode=barcode, status=status)


class BadResultFile(Invalid):
    translated_params = ("reason",)

    def __init__(self, reason: str) -> None:
        super().__init__("the result file can't be read: {reason}", reason=reason)


class ResultConflicts(Conflict):
    def __init__(self, rows: int) -> None:
        super().__init__(
            "{rows} result rows disagree with results already accepted; they are held for review", rows=rows
        )
