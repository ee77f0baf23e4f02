from gridscreen.errors import Conflict, Invalid, NotFound


class HouseholdNotFound(NotFound):
    def __init__(self, household_id: int) -> None:
        super().__init__("household {household_id} does not exist or is outside your areas", household_id=household_id)


class PersonNotFound(NotFound):
    def __init__(self, person_id: int) -> None:
        super().__init__("person {person_id} does not exist or is outside your areas", person_id=person_id)


class NotABuilding(Invalid):
    def __init__(self, area_id: int) -> None:
        super().__init__("area {area_id} is not a building; households live in buildings", area_id=area_id)


class DocumentAlreadyRegistered(Conflict):
    def __init__(self, person_id: int) -> None:
        super().__init__(
            "a person with this document number is already registered (person {person_id}); "
            "move that person instead of adding a new one",
            person_id=person_id,
        )


class HouseholdExists(Conflict):
    def __init__(self, household_id: int) -> None:
        super().__init__(
            "this building already has a household at that unit and room (household {household_id})",
            household_id=household_id,
        )


class AlreadyInHousehold(Conflict):
    def __init__(self) -> None:
        super().__init__("the person already lives in that household")
