from gridscreen.errors import Conflict, Invalid, NotFound


class TubeNotFound(NotFound):
    def __init__(self, barcode: str) -> None:
        super().__init__("tube {barcode} does not exist or is outside your areas", barcode=barcode)


class NoWayToIdentify(Invalid):
    def __init__(self) -> None:
        super().__init__("a scan needs a resident code or a document type and number")


class UnknownPerson(NotFound):
    def __init__(self) -> None:
        super().__init__("the resident code points to nobody on the roster; ask for an ID document")


class TubeOfAnotherRound(Conflict):
    def __init__(self, barcode: str) -> None:
        super().__init__("tube {barcode} was used in another round; take a new tube", barcode=barcode)


class TubeOfAnotherHousehold(Conflict):
    def __init__(self, barcode: str) -> None:
        super().__init__(
            "tube {barcode} is for one household only (sealed area); take a new tube for this household",
            barcode=barcode,
        )


class NoPlace(Invalid):
    def __init__(self) -> None:
        super().__init__("a scan needs the site or the door-to-door route where it was taken")


class ScanInFuture(Invalid):
    def __init__(self) -> None:
        super().__init__("the scan time is in the future; check the device clock")


class SingleTubeOnly(Conflict):
    def __init__(self, barcode: str) -> None:
        super().__init__(
            "this person is on hold after a positive pool: retest in a single tube, not in pooled tube {barcode}",
            barcode=barcode,
        )
