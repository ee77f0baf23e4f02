import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from gridscreen.errors import Conflict
from gridscreen.sampling.tube_state import (
    PersonStatus,
    Tube,
    TubeEvent,
    TubeStateError,
    TubeStatus,
    add_member,
    allowed_events,
    apply,
    cancel,
    close,
    on_sampled,
    on_tube_cancelled,
    outcome,
    receive,
    record_result,
    ship,
)

S = TubeStatus
P = PersonStatus
RESULTS = ("negative", "positive", "invalid")


def test_a_ten_in_one_tube_seals_itself_on_the_tenth_person():
    tube = Tube(pool_size=10)
    for _ in range(9):
        tube = add_member(tube)
        assert tube.status is S.open
    tube = add_member(tube)
    assert tube == Tube(pool_size=10, members=10, status=S.sealed)


def test_the_whole_way_of_a_tube():
    tube = close(add_member(add_member(Tube(pool_size=10))))
    assert tube.status is S.sealed and tube.members == 2
    tube = record_result(receive(ship(tube)))
    assert tube == Tube(pool_size=10, members=2, status=S.resulted)


def test_a_single_tube_is_sealed_by_its_one_person():
    assert add_member(Tube(pool_size=1)).status is S.sealed


def test_a_full_tube_refuses_another_person_with_a_409_naming_the_tube():
    with pytest.raises(TubeStateError) as excinfo:
        add_member(Tube(pool_size=2, members=2, status=S.sealed), barcode="SH00000000017")
    error = excinfo.value
    assert isinstance(error, Conflict)
    assert error.status == 409
    assert str(error) == "tube SH00000000017 is sealed; start a new tube"
    assert (error.event, error.tube_status) == (TubeEvent.add_member, S.sealed)


def test_an_empty_tube_cannot_be_sealed_but_can_be_cancelled():
    with pytest.raises(TubeStateError, match="empty"):
        close(Tube(pool_size=10))
    assert cancel(Tube(pool_size=10)).status is S.cancelled


def test_a_tube_without_a_barcode_still_gives_a_readable_message():
    with pytest.raises(TubeStateError, match=r"tube \? was cancelled"):
        add_member(Tube(pool_size=10, status=S.cancelled))


# Which events each status accepts; everything else is refused.
ACCEPTS = {
    S.open: {TubeEvent.add_member, TubeEvent.close, TubeEvent.cancel},
    S.sealed: {TubeEvent.cancel, TubeEvent.ship},
    S.cancelled: set(),
    S.shipped: {TubeEvent.receive},
    S.received: {TubeEvent.result},
    S.resulted: set(),
}
AFTER = {
    TubeEvent.close: S.sealed,
    TubeEvent.cancel: S.cancelled,
    TubeEvent.ship: S.shipped,
    TubeEvent.receive: S.received,
    TubeEvent.result: S.resulted,
}


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("event", list(TubeEvent))
def test_transition_table(status, event):
    tube = Tube(pool_size=10, members=3, status=status)
    if event in ACCEPTS[status]:
        after = apply(tube, event, barcode="SH1")
        assert after.status is AFTER.get(event, S.open)
        assert after.members == tube.members + (event is TubeEvent.add_member)
    else:
        with pytest.raises(TubeStateError) as excinfo:
            apply(tube, event, barcode="SH1")
        assert excinfo.value.params == {"barcode": "SH1"}
        assert "SH1" in str(excinfo.value)
    assert allowed_events(tube) == ACCEPTS[status]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"pool_size": 0},
        {"pool_size": 10, "members": 11, "status": S.sealed},
        {"pool_size": 10, "members": -1},
        {"pool_size": 10, "members": 10, "status": S.open},
        {"pool_size": 10, "members": 0, "status": S.sealed},
        {"pool_size": 10, "members": 0, "status": S.resulted},
        {"pool_size": 10, "members": 1, "status": "lost"},
    ],
)
def test_impossible_tubes_cannot_be_built(kwargs):
    with pytest.raises(ValueError):
        Tube(**kwargs)


def test_status_from_the_database_is_coerced():
    assert Tube(pool_size=10, members=1, status="shipped").status is S.shipped


@given(st.integers(1, 20), st.lists(st.sampled_from(list(TubeEvent)), max_size=60))
def test_random_event_sequences_keep_every_invariant(pool_size, events):
    tube = Tube(pool_size=pool_size)
    for event in events:
        before = tube
        try:
            tube = apply(tube, event)
        except TubeStateError as error:
            assert error.tube_status is before.status
            assert event not in allowed_events(before)
            continue
        assert event in allowed_events(before)
        assert tube.members <= tube.pool_size
        assert tube.members == before.members + (event is TubeEvent.add_member)
        if tube.members == tube.pool_size:
            assert tube.status is not S.open


class TubeMachine(RuleBasedStateMachine):
    """A tube against a model that only counts persons and remembers whether it is still at the site."""

    def __init__(self) -> None:
        super().__init__()
        self.tube: Tube | None = None

    @precondition(lambda self: self.tube is None)
    @rule(pool_size=st.integers(1, 12))
    def new_tube(self, pool_size):
        self.tube = Tube(pool_size=pool_size)

    @precondition(lambda self: self.tube is not None)
    @rule()
    def add(self):
        tube = self.tube
        if tube.status is S.open:
            self.tube = add_member(tube)
            assert self.tube.members == tube.members + 1
        else:
            with pytest.raises(TubeStateError):
                add_member(tube)

    @precondition(lambda self: self.tube is not None)
    @rule(event=st.sampled_from([e for e in TubeEvent if e is not TubeEvent.add_member]))
    def other_event(self, event):
        tube = self.tube
        try:
            self.tube = apply(tube, event)
        except TubeStateError:
            assert event not in ACCEPTS[tube.status] or (event is TubeEvent.close and tube.members == 0)
        else:
            assert event in ACCEPTS[tube.status]
            assert self.tube.members == tube.members

    @invariant()
    def never_over_capacity_and_full_means_sealed_or_later(self):
        if self.tube is not None:
            assert 0 <= self.tube.members <= self.tube.pool_size
            if self.tube.members == self.tube.pool_size:
                assert self.tube.status is not S.open

    @invariant()
    def cancelled_and_resulted_tubes_accept_nothing(self):
        if self.tube is not None and self.tube.status in (S.cancelled, S.resulted):
            assert allowed_events(self.tube) == frozenset()


TestTubeMachine = TubeMachine.TestCase


# --- person in a round ---


@pytest.mark.parametrize(
    ("current", "after"),
    [
        (P.expected, P.sampled),
        (P.to_resample, P.sampled),
        (P.sampled, P.sampled),
        (P.hold, P.hold),
        (P.negative, P.negative),
        (P.positive, P.positive),
    ],
)
def test_sampling(current, after):
    assert on_sampled(current) is after


# (current, result, pooled) -> after; the table in the module docstring.
OUTCOMES = {
    **{
        (current, result, pooled): after
        for current in (P.expected, P.sampled, P.to_resample)
        for (result, pooled), after in {
            ("negative", True): P.negative,
            ("negative", False): P.negative,
            ("positive", True): P.hold,
            ("positive", False): P.positive,
            ("invalid", True): P.to_resample,
            ("invalid", False): P.to_resample,
        }.items()
    },
    (P.negative, "negative", True): P.negative,
    (P.negative, "negative", False): P.negative,
    (P.negative, "positive", True): P.hold,
    (P.negative, "positive", False): P.positive,
    (P.negative, "invalid", True): P.negative,
    (P.negative, "invalid", False): P.negative,
    (P.hold, "negative", True): P.hold,
    (P.hold, "negative", False): P.negative,
    (P.hold, "positive", True): P.hold,
    (P.hold, "positive", False): P.positive,
    (P.hold, "invalid", True): P.hold,
    (P.hold, "invalid", False): P.hold,
    **{(P.positive, result, pooled): P.positive for result in RESULTS for pooled in (True, False)},
}


def test_outcome_table_covers_every_case():
    assert len(OUTCOMES) == len(P) * len(RESULTS) * 2


@pytest.mark.parametrize(("case", "after"), list(OUTCOMES.items()), ids=lambda v: "-".join(map(str, v)))
def test_outcome(case, after):
    current, result, pooled = case
    assert outcome(current, tube_result=result, pooled=pooled) is after


def test_pooled_positive_then_single_retest():
    person = outcome(on_sampled(P.expected), tube_result="positive", pooled=True)
    assert person is P.hold
    assert on_sampled(person) is P.hold  # the retest swab does not release them
    assert outcome(person, tube_result="negative", pooled=False) is P.negative
    assert outcome(person, tube_result="positive", pooled=False) is P.positive


@pytest.mark.parametrize("current", list(P))
def test_a_cancelled_tube_is_like_an_invalid_result(current):
    assert on_tube_cancelled(current) is outcome(current, tube_result="invalid", pooled=True)


def test_an_unknown_result_is_a_programming_error():
    with pytest.raises(ValueError):
        outcome(P.sampled, tube_result="maybe", pooled=True)


person_events = st.lists(
    st.one_of(
        st.just("sampled"),
        st.just("cancelled"),
        st.tuples(st.sampled_from(RESULTS), st.booleans()),
    ),
    max_size=30,
)


def _run(events):
    status = P.expected
    seen = [status]
    for event in events:
        if event == "sampled":
            status = on_sampled(status)
        elif event == "cancelled":
            status = on_tube_cancelled(status)
        else:
            status = outcome(status, tube_result=event[0], pooled=event[1])
        seen.append(status)
    return seen


@given(person_events)
def test_a_case_stays_a_case(events):
    seen = _run(events)
    if P.positive in seen:
        assert seen[seen.index(P.positive) :] == [P.positive] * (len(seen) - seen.index(P.positive))


@given(person_events)
def test_hold_is_left_only_by_a_single_tube_result(events):
    seen = _run(events)
    for i, (before, after) in enumerate(zip(seen, seen[1:], strict=False)):
        if before is P.hold and after is not P.hold:
            assert isinstance(events[i], tuple) and events[i][1] is False and events[i][0] != "invalid"


@given(person_events)
def test_a_person_never_goes_back_to_expected(events):
    assert P.expected not in _run(events)[1:]


@given(person_events)
def test_a_single_positive_always_ends_as_a_case(events):
    if ("positive", False) in events:
        assert _run(events)[-1] is P.positive
