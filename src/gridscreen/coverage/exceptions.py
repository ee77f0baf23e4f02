from gridscreen.errors import Conflict, NotFound


class NotInRound(NotFound):
    def __init__(self, person_id: int) -> None:
        super().__init__("person {person_id} is not in this round or is outside your areas", person_id=person_id)


class AlreadySampled(Conflict):
    def __init__(self, person_id: int) -> None:
        super().__init__("person {person_id} is not missing: they have been sampled in this round", person_id=person_id)
