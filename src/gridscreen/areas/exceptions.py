from gridscreen.errors import Invalid, NotFound


class AreaNotFound(NotFound):
    """Also raised for areas outside the caller's scope: we don't confirm that they exist."""

    def __init__(self, area_id: int) -> None:
        super().__init__("area {area_id} does not exist or is outside your areas", area_id=area_id)


class NotAGrid(Invalid):
    def __init__(self, area_id: int) -> None:
        super().__init__("area {area_id} is not a committee (grid)", area_id=area_id)
