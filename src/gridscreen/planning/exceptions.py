from gridscreen.errors import Conflict, Invalid, NotFound


class RoundNotFound(NotFound):
    def __init__(self, round_id: int) -> None:
        super().__init__("round {round_id} does not exist", round_id=round_id)


class RoundNotRunning(Conflict):
    def __init__(self, code: str) -> None:
        super().__init__("round {code} is not running; scans and results are closed", code=code)


class RoundCodeTaken(Conflict):
    def __init__(self, code: str) -> None:
        super().__init__("a round with code {code} already exists", code=code)


class SiteNotFound(NotFound):
    def __init__(self, site_id: int) -> None:
        super().__init__("site {site_id} does not exist or is outside your areas", site_id=site_id)


class RouteNotFound(NotFound):
    def __init__(self, route_id: int) -> None:
        super().__init__("route {route_id} does not exist or is outside your areas", route_id=route_id)


class NoPlan(NotFound):
    def __init__(self, round_id: int) -> None:
        super().__init__("round {round_id} has no site plan yet; make one first", round_id=round_id)


class RoundWithoutAreas(Invalid):
    def __init__(self, round_id: int) -> None:
        super().__init__("round {round_id} covers no areas to plan", round_id=round_id)
