from datetime import time, timedelta

import pytest
from pydantic import ValidationError

from gridscreen.auth.models import Role
from gridscreen.support import announcements, escalation, service
from gridscreen.support.dispatch import NobodyFree
from gridscreen.support.exceptions import NotYourTicket, TicketNotFound, TicketResolved, VolunteerNotHere
from gridscreen.support.models import Category, Notification, TicketStatus
from gridscreen.support.schemas import ResolveIn
from tests.support.factories import NOW, file, resident, staff, volunteer


@pytest.fixture
def people(db, tiny):
    """Grid A's worker, its subdistrict's and district's officers, the command centre, and a resident."""
    a = tiny.a
    return {
        "grid": staff(db, "grid_a", Role.grid, a.committee),
        "subdistrict": staff(db, "sub_a", Role.subdistrict, a.subdistrict),
        "district": staff(db, "district_a", Role.district, a.district),
        "command": staff(db, "command", Role.command, tiny.city),
        "grid_b": staff(db, "grid_b", Role.grid, tiny.b.committee),
        "resident": resident(db, "resident_a", a.households[0]),
    }


def _notified(db, who):
    return [n.text for n in announcements.notifications(db, who)]


def test_a_resident_files_for_their_own_household_and_the_grid_sees_it(db, tiny, people):
    ticket = file(db, people["resident"])
    assert (ticket.household_id, ticket.committee_id, ticket.level) == (tiny.a.households[0].id, tiny.a.committee.id,
                                                                        "committee")  # fmt: skip
    assert ticket.acknowledge_by == NOW + timedelta(hours=2)
    assert [t.id for t in service.list_tickets(db, people["grid"])[0]] == [ticket.id]
    assert service.list_tickets(db, people["grid_b"])[0] == []
    with pytest.raises(TicketNotFound):
        service.get_ticket(db, people["grid_b"], ticket.id)


def test_a_resident_cannot_file_for_another_household(db, tiny, people):
    from gridscreen.people.exceptions import HouseholdNotFound

    with pytest.raises(HouseholdNotFound):
        file(db, people["resident"], tiny.b.households[0])


def test_the_green_channel_alerts_grid_and_district_at_once_and_goes_first(db, tiny, people):
    file(db, people["grid"], tiny.a.households[1], category=Category.groceries)
    urgent = file(db, people["grid"], tiny.a.households[1], category=Category.emergency, details="dialysis due")
    assert urgent.acknowledge_by == NOW + timedelta(minutes=5)
    assert any("绿色通道" in t for t in _notified(db, people["grid"]))
    assert any("绿色通道" in t for t in _notified(db, people["district"]))
    assert _notified(db, people["subdistrict"]) == []
    assert service.list_tickets(db, people["district"])[0][0].id == urgent.id


def test_an_unanswered_ticket_climbs_the_ladder_once_per_missed_step_and_stops_at_the_city(db, tiny, people):
    ticket = file(db, people["resident"], category=Category.emergency)
    assert escalation.escalate_due(db, now=NOW + timedelta(minutes=4)) == 0
    assert escalation.escalate_due(db, now=NOW + timedelta(minutes=5)) == 1
    assert escalation.escalate_due(db, now=NOW + timedelta(minutes=5)) == 0  # a second sweep moves nothing
    db.refresh(ticket)
    assert ticket.level == "subdistrict"
    assert any("已升级" in t for t in _notified(db, people["subdistrict"]))
    escalation.escalate_due(db, now=NOW + timedelta(minutes=10))
    escalation.escalate_due(db, now=NOW + timedelta(minutes=15))
    escalation.escalate_due(db, now=NOW + timedelta(hours=9))
    db.refresh(ticket)
    assert (ticket.level, ticket.escalate_at) == ("city", None)
    assert any("已升级" in t for t in _notified(db, people["command"]))
    kinds = [(e.kind, e.level) for e in service.history(db, ticket)]
    assert kinds == [("filed", "committee"), ("escalated", "subdistrict"), ("escalated", "district"),
                     ("escalated", "city")]  # fmt: skip


def test_an_acknowledged_ticket_escalates_only_when_its_resolution_deadline_passes(db, tiny, people):
    ticket = file(db, people["resident"], category=Category.medicine)
    service.acknowledge(db, people["grid"], ticket.id, now=NOW + timedelta(minutes=30))
    assert escalation.escalate_due(db, now=NOW + timedelta(hours=11)) == 0
    assert escalation.escalate_due(db, now=NOW + timedelta(hours=12)) == 1
    events = service.history(db, ticket)
    assert events[-1].note == "not resolved in time"


def test_a_resolved_ticket_never_escalates_and_cannot_be_changed(db, tiny, people):
    ticket = file(db, people["resident"])
    service.resolve(db, people["grid"], ticket.id, ResolveIn(outcome="done", note="delivered at 14:00"), now=NOW)
    assert escalation.escalate_due(db, now=NOW + timedelta(days=5)) == 0
    assert ticket.status == TicketStatus.resolved and ticket.outcome == "done"
    with pytest.raises(TicketResolved):
        service.acknowledge(db, people["grid"], ticket.id, now=NOW)
    assert any("已办结" in t for t in _notified(db, people["resident"]))


def test_nothing_is_closed_without_an_outcome_and_a_note():
    with pytest.raises(ValidationError):
        ResolveIn(outcome="done", note="")
    with pytest.raises(ValidationError):
        ResolveIn.model_validate({"note": "x"})


def test_new_tickets_go_to_the_least_loaded_volunteer_on_shift_of_the_grid(db, tiny, people):
    grid = people["grid"]
    li = volunteer(db, grid, "li_na", tiny.a.committee)
    wang = volunteer(db, grid, "wang", tiny.a.committee)
    volunteer(db, grid, "night", tiny.a.committee, start=time(20), end=time(8))  # asleep at 10:00
    volunteer(db, people["grid_b"], "elsewhere", tiny.b.committee)
    owners = [file(db, people["resident"]).assignee_id for _ in range(4)]
    assert sorted(owners) == sorted([li.user_id, wang.user_id] * 2)
    assert any("已派给您" in t for t in _notified(db, li))


def test_the_green_channel_goes_only_to_volunteers_who_can_escort_and_otherwise_waits_for_a_hand(db, tiny, people):
    grid = people["grid"]
    volunteer(db, grid, "shopper", tiny.a.committee, skills=[Category.groceries])
    ticket = file(db, people["resident"], category=Category.emergency)
    assert ticket.assignee_id is None
    with pytest.raises(NobodyFree):
        service.assign(db, grid, ticket.id, None, now=NOW)
    medic = volunteer(db, grid, "medic", tiny.a.committee, skills=[Category.emergency])
    assert service.assign(db, grid, ticket.id, None, now=NOW).assignee_id == medic.user_id


def test_a_volunteer_sees_and_acts_on_only_their_assigned_tickets(db, tiny, people):
    li = volunteer(db, people["grid"], "li_na", tiny.a.committee)
    mine = file(db, people["resident"])
    wang = volunteer(db, people["grid"], "wang", tiny.a.committee)
    other = file(db, people["resident"])
    assert (mine.assignee_id, other.assignee_id) == (li.user_id, wang.user_id)
    assert [t.id for t in service.list_tickets(db, li)[0]] == [mine.id]
    with pytest.raises(TicketNotFound):
        service.acknowledge(db, li, other.id, now=NOW)
    service.acknowledge(db, li, mine.id, now=NOW)
    service.resolve(db, li, mine.id, ResolveIn(outcome="done", note="bag at the door"), now=NOW)
    assert mine.status == TicketStatus.resolved


def test_a_hand_assignment_must_name_a_volunteer_of_the_tickets_grid(db, tiny, people):
    outsider = volunteer(db, people["grid_b"], "elsewhere", tiny.b.committee)
    ticket = file(db, people["resident"])
    with pytest.raises(VolunteerNotHere):
        service.assign(db, people["grid"], ticket.id, outsider.user_id, now=NOW)


def test_a_resident_sees_their_households_tickets_but_cannot_act_on_them(db, tiny, people):
    ticket = file(db, people["resident"])
    staff_ticket = file(db, people["grid"], tiny.a.households[1])
    assert [t.id for t in service.list_tickets(db, people["resident"])[0]] == [ticket.id]
    with pytest.raises(TicketNotFound):
        service.get_ticket(db, people["resident"], staff_ticket.id)
    with pytest.raises(NotYourTicket):
        service.add_note(db, people["resident"], ticket.id, "still waiting", now=NOW)


def test_a_changed_deadline_applies_to_new_tickets(db, tiny, people):
    from gridscreen.support.schemas import DeadlineIn

    service.set_deadline(db, Category.garbage, DeadlineIn(acknowledge_minutes=30, resolve_minutes=90))
    ticket = file(db, people["resident"], category=Category.garbage)
    assert ticket.resolve_by == NOW + timedelta(minutes=90)


def test_notifications_are_sent_once_even_when_two_senders_sweep(db, tiny, people):
    from gridscreen.support import notify

    class Recorder:
        def __init__(self):
            self.sent = []

        def send(self, recipient, text, *, urgent):
            self.sent.append((recipient.username, urgent))

    file(db, people["resident"], category=Category.emergency)
    first, second = Recorder(), Recorder()
    notify.deliver(db, first, now=NOW)
    notify.deliver(db, second, now=NOW)
    assert sorted(first.sent) == [("district_a", True), ("grid_a", True)] and second.sent == []
    assert db.query(Notification).filter(Notification.sent_at.is_(None)).count() == 0


def test_the_dashboard_counts_unresolved_tickets_of_an_area(db, tiny, people):
    urgent = file(db, people["resident"], category=Category.emergency)
    file(db, people["resident"])
    file(db, people["grid_b"], tiny.b.households[0])
    service.acknowledge(db, people["grid"], urgent.id, now=NOW)
    escalation.escalate_due(db, now=NOW + timedelta(hours=3))  # the groceries ticket was not answered in 2 hours
    figures = service.ticket_figures(db, people["command"], tiny.a.district, now=NOW + timedelta(hours=3))
    assert figures == service.TicketFigures(waiting=1, in_hand=1, overdue=2, emergencies=1, above_grid=2)
