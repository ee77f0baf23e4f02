from gridscreen.errors import Invalid


class NotADistrictOrCity(Invalid):
    def __init__(self, area_id: int) -> None:
        super().__init__(
            "area {area_id} is not the city or a district: supports are reported per district", area_id=area_id
        )


class LiveSupport(Invalid):
    def __init__(self, kind: str) -> None:
        super().__init__("{kind} is worked out from the labs and the round; it is not reported by hand", kind=kind)
