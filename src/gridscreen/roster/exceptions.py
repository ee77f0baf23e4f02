from __future__ import annotations

from gridscreen.errors import Conflict, Forbidden, Invalid, NotFound


class RecordsOutsideYourAreas(Forbidden):
    def __init__(self, file: str, count: int, row: int):
        super().__init__(
            "{file}: {count} records are addressed outside your areas (first: row {row}); ask the district or the "
            "command centre to import this list", file=file, count=count, row=row,
        )  # fmt: skip


class RecordsUnplaced(Invalid):
    def __init__(self, file: str, count: int, row: int):
        super().__init__(
            "{file}: {count} records have an address that names no building of your areas (first: row {row}); "
            "say which grid the list comes from", file=file, count=count, row=row,
        )  # fmt: skip


class ReviewPairNotFound(NotFound):
    def __init__(self, pair_id: int):
        super().__init__("review pair {pair_id} not found", pair_id=pair_id)


class RosterPersonNotFound(NotFound):
    def __init__(self, person_key: int):
        super().__init__("no reconciled person {person_key} in your areas", person_key=person_key)


class TaskNotFound(NotFound):
    def __init__(self, task_id: int):
        super().__init__("door-knock task {task_id} not found", task_id=task_id)


class TaskClosed(Conflict):
    def __init__(self, task_id: int):
        super().__init__("door-knock task {task_id} is already closed", task_id=task_id)


class NothingToReconcile(Invalid):
    def __init__(self):
        super().__init__("there are no source records yet: import the lists first")
