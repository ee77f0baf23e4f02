from datetime import timedelta

from gridscreen.auth.models import Role
from gridscreen.support.models import Category
from gridscreen.support.worker import sweep
from tests.conftest import _bound_sessionmaker
from tests.support.factories import NOW, file, staff


class Recorder:
    def __init__(self):
        self.sent = []

    def send(self, recipient, text, *, urgent):
        self.sent.append((recipient.username, text, urgent))


def test_a_sweep_escalates_overdue_tickets_then_tells_the_next_level(db, connection, engine, tiny):
    grid = staff(db, "grid_a", Role.grid, tiny.a.committee)
    staff(db, "sub_a", Role.subdistrict, tiny.a.subdistrict)
    file(db, grid, tiny.a.households[0], category=Category.medicine)
    db.commit()
    recorder = Recorder()
    swept = sweep(engine, now=NOW + timedelta(hours=2), sender=recorder, sessions=_bound_sessionmaker(connection))
    assert swept.escalated == 1
    assert [(who, urgent) for who, _, urgent in recorder.sent] == [("sub_a", False)]
    again = sweep(engine, now=NOW + timedelta(hours=2), sender=recorder, sessions=_bound_sessionmaker(connection))
    assert (again.escalated, again.sent) == (0, 0)
