"""What a resident's page shows for their household, gathered in a handful of small indexed queries so the
whole city can look at once: each member's result per round, the notice, announcements and tickets."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridscreen.areas.models import Area
from gridscreen.auth.principal import Principal
from gridscreen.people import service as people
from gridscreen.people.models import Person
from gridscreen.people.schemas import HouseholdOut
from gridscreen.planning import service as planning
from gridscreen.planning.models import Round
from gridscreen.sampling.models import PersonRound
from gridscreen.support import announcements, service
from gridscreen.support.models import Announcement, Ticket

ROUNDS_SHOWN = 5


@dataclass
class HouseholdView:
    household: HouseholdOut
    persons: list[Person]
    rounds: list[Round]
    # person id -> round id -> status in that round
    results: dict[int, dict[int, str]] = field(default_factory=dict)
    notice: tuple | None = None
    announcements: list[Announcement] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)


def household_view(session: Session, principal: Principal) -> HouseholdView:
    household = people.get_household(session, principal, principal.household_id or 0)
    # Held for the calls below: the session's identity map keeps only objects someone still refers to.
    building = session.get(Area, household.building_id)
    persons, _ = people.search_persons(session, principal, household_id=household.id, limit=100)
    rounds = session.scalars(select(Round).order_by(Round.created_at.desc(), Round.id.desc()).limit(ROUNDS_SHOWN))
    rounds = list(rounds)
    results: dict[int, dict[int, str]] = {p.id: {} for p in persons}
    if rounds and persons:
        # The key leads with round_id, so naming both rounds and persons keeps this an index lookup.
        query = select(PersonRound.person_id, PersonRound.round_id, PersonRound.status).where(
            PersonRound.round_id.in_([r.id for r in rounds]), PersonRound.person_id.in_([p.id for p in persons])
        )
        for person_id, round_id, status in session.execute(query):
            results[person_id][round_id] = status
    tickets, _ = service.list_tickets(session, principal, status=None, limit=20, counted=False)
    return HouseholdView(
        household=people.present_household(session, household),
        persons=persons,
        rounds=rounds,
        results=results,
        notice=planning.notice_for(session, building),
        announcements=announcements.for_household(session, household),
        tickets=tickets,
    )
