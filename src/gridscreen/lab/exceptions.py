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


class BadResultRow(Invalid):
    def __init__(self) -> None:
        super().__init__("a row needs a barcode, a result of negative, positive or invalid, and numeric Ct values")


class UnknownTube(NotFound):
    def __init__(self, barcode: str) -> None:
        super().__init__("no tube {barcode} was sampled; check the barcode", barcode=barcode)


class NotReceived(Conflict):
    def __init__(self, barcode: str) -> None:
        super().__init__("tube {barcode} has not been received by a lab yet; receive its box first", barcode=barcode)


class OtherLab(Conflict):
    def __init__(self, barcode: str) -> None:
        super().__init__("tube {barcode} was sent to another lab", barcode=barcode)


class DisagreesWithAccepted(Conflict):
    translated_params = ("accepted",)

    def __init__(self, barcode: str, accepted: str) -> None:
        super().__init__(
            "tube {barcode} already has an accepted {accepted} result; this one is held for review",
            barcode=barcode,
            accepted=accepted,
        )
