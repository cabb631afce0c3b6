"""The waiting room's use cases (domain/queue/usecases.py) on in-memory fakes
(tests/queue_fakes.py): entering, the heartbeat and claim, the public state, access tokens,
settings written back after Redis lost them and adaptive admission, checked in milliseconds
without Redis. The same rules on a real Redis (and Redis Cluster) are in
tests/integration/test_waiting_room.py."""

from dataclasses import dataclass, field
from typing import Any

import pytest

from domain.concert.model import SaleClosed
from domain.queue.access import AccessGrant, AccessTokens
from domain.queue.admission import AdaptiveAdmission, BookingLatency, RateDecision, RateReason
from domain.queue.model import (
    EntryRateLimited,
    NotAdmitted,
    NotInQueue,
    PlaceState,
    QueueNotFound,
    QueuePhase,
    QueueSettings,
    QueueState,
    QueueStats,
    SeatsLeft,
)
from domain.queue.ports import QueueSettingsSource, SeatInventory, WaitingRoom
from domain.queue.usecases import (
    AdmitWaitingFans,
    CheckPlace,
    EnterQueue,
    QueueAnswer,
    ReadQueueState,
    RequireAccess,
    SteerAdmission,
)
from tests.queue_fakes import (
    NOW_MS,
    FakeBookingLatency,
    FakeClock,
    FakeQueueSettingsSource,
    FakeSeatInventory,
    FakeWaitingRoom,
    at_ms,
)

SHOW, OTHER_SHOW, FIXED_SHOW, EARLY_SHOW, UNKNOWN_SHOW = 7, 8, 9, 10, 99
FAN, RIVAL, LATECOMER = 100, 101, 102
IP = "203.0.113.5"
OPENS_MS = NOW_MS - 60_000  # the sale opened a minute ago
CLOSES_MS = NOW_MS + 86_400_000
ADMITTED, WAITING = PlaceState.ADMITTED, PlaceState.WAITING

ADAPTIVE = AdaptiveAdmission(latency_target_ms=250, ceiling=40, capacity=100, floor=10)
FAST = BookingLatency(samples=100, p95_ms=100.0)  # well under the target
NEAR = BookingLatency(samples=100, p95_ms=220.0)  # over 80% of it
SLOW = BookingLatency(samples=100, p95_ms=400.0)  # over it


def settings_for(schedule_id: int = SHOW, **changes: Any) -> QueueSettings:
    values: dict[str, Any] = {
        "opens_at": at_ms(OPENS_MS),
        "closes_at": at_ms(CLOSES_MS),
        "max_active": 100,
        "admit_per_second": 2,
        "abandon_after_seconds": 30,
        "active_ttl_seconds": 300,
        "heartbeat_seconds": 10,
    }
    return QueueSettings(schedule_id=schedule_id, **(values | changes))


@dataclass
class Queue:
    """The waiting room's use cases wired to one set of fakes."""

    clock: FakeClock = field(default_factory=FakeClock)
    room: FakeWaitingRoom = field(default_factory=FakeWaitingRoom)
    source: FakeQueueSettingsSource = field(default_factory=FakeQueueSettingsSource)
    latency: FakeBookingLatency = field(default_factory=FakeBookingLatency)
    inventory: FakeSeatInventory = field(default_factory=FakeSeatInventory)
    tokens: AccessTokens = field(default_factory=lambda: AccessTokens(secret=b"test-secret"))

    def __post_init__(self) -> None:
        room: WaitingRoom = self.room  # for mypy: the fakes implement the ports
        source: QueueSettingsSource = self.source
        parts: dict[str, Any] = {
            "room": room,
            "settings": source,
            "tokens": self.tokens,
            "clock": self.clock,
        }
        self.enter_queue = EnterQueue(**parts)
        self.check_place = CheckPlace(**parts)
        self.read_state = ReadQueueState(**parts)
        self.require_access = RequireAccess(room=self.room, tokens=self.tokens, clock=self.clock)
        # A tick every 4 s, over the rule's 12-second reaction time: a third of a step each.
        self.steer = SteerAdmission(
            room=self.room, latency=self.latency, clock=self.clock, window_seconds=4, tick_seconds=4
        )
        inventory: SeatInventory = self.inventory
        self.admit_fans = AdmitWaitingFans(
            room=room, steer=self.steer, inventory=inventory, clock=self.clock
        )

    def open_show(self, schedule_id: int = SHOW, **changes: Any) -> QueueSettings:
        """Saves the schedule's settings in the database and in Redis, as the admin does."""
        settings = settings_for(schedule_id, **changes)
        self.source.settings[schedule_id] = settings
        self.room.store_settings(settings, now_ms=self.clock.now_ms())
        return settings

    def enter(self, user_id: int, schedule_id: int = SHOW) -> QueueAnswer:
        return self.enter_queue(schedule_id=schedule_id, user_id=user_id, client_ip=IP)

    def check(self, user_id: int, schedule_id: int = SHOW) -> QueueAnswer:
        return self.check_place(schedule_id=schedule_id, user_id=user_id)

    def state(self, schedule_id: int = SHOW) -> QueueState:
        return self.read_state(schedule_id=schedule_id)

    def require(
        self, token: str | None, *, user_id: int = FAN, schedule_id: int | None = SHOW
    ) -> AccessGrant:
        assert token is not None, "only an admitted fan has an access token"
        return self.require_access(token=token, user_id=user_id, schedule_id=schedule_id)

    def tick(self, schedule_id: int = SHOW) -> list[int]:
        return self.room.tick(schedule_id=schedule_id, now_ms=self.clock.now_ms())

    def stats(self, schedule_id: int = SHOW) -> QueueStats:
        return self.room.stats(schedule_id=schedule_id, now_ms=self.clock.now_ms())


@pytest.fixture
def queue() -> Queue:
    return Queue()


# --- entering and admission -----------------------------------------------------------------


def test_entering_twice_keeps_the_place_and_takes_one_entry_number(queue: Queue) -> None:
    queue.open_show(max_active=1)
    queue.enter(RIVAL)  # takes the only slot
    first = queue.enter(FAN)
    again = queue.enter(FAN)
    assert first.place.created and not again.place.created
    assert first.place.state is again.place.state is WAITING
    assert first.place.entry_number == again.place.entry_number == 2
    assert first.queue_token is not None and again.queue_token == first.queue_token
    assert queue.enter(LATECOMER).place.entry_number == 3  # the second entry took no number
    admitted_again = queue.enter(RIVAL)
    assert admitted_again.place.state is ADMITTED and not admitted_again.place.created
    assert admitted_again.access_token is not None


def test_fans_are_admitted_in_entry_order_at_the_configured_rate(queue: Queue) -> None:
    queue.open_show(admit_per_second=2)
    answers = [queue.enter(user) for user in range(1, 7)]
    assert [a.place.state for a in answers] == [ADMITTED] * 2 + [WAITING] * 4
    assert all(a.access_token is not None for a in answers[:2])
    assert [(a.place.entry_number, a.place.position) for a in answers[2:]] == [
        (3, 1),
        (4, 2),
        (5, 3),
        (6, 4),
    ]
    assert all(a.access_token is None and a.queue_token for a in answers[2:])

    queue.clock.advance(0.5)  # budget for one fan: the claim of the last admits the first
    assert queue.check(6).place.position == 3
    claim = queue.check(3)
    assert claim.place.state is ADMITTED and claim.access_token is not None
    assert queue.check(4).place.position == 1  # no budget left this half second

    queue.clock.advance(1)
    assert queue.tick() == [4, 5]
    assert queue.check(6).place.position == 1


def test_no_more_fans_are_admitted_than_the_capacity_until_a_slot_frees(queue: Queue) -> None:
    queue.open_show(max_active=2, admit_per_second=100, active_ttl_seconds=300)
    for user in range(1, 5):
        queue.enter(user)
    queue.clock.advance(5)
    assert queue.check(3).place.position == 1  # rate budget, but no free slot
    queue.room.leave(schedule_id=SHOW, user_id=1)  # fan 1 bought and left
    assert queue.check(4).place.position == 1
    assert queue.check(3).access_token is not None

    states = []
    for _ in range(30):  # fan 4 keeps beating until the slots of fans 2 and 3 run out
        queue.clock.advance(10)
        states.append(queue.check(4).place.state)
    assert states == [WAITING] * 29 + [ADMITTED]


# --- access tokens --------------------------------------------------------------------------


def test_an_admitted_fan_gets_an_access_token_for_this_fan_and_this_schedule_only(
    queue: Queue,
) -> None:
    queue.open_show(SHOW)
    queue.open_show(OTHER_SHOW)
    mine = queue.enter(FAN)
    other_show = queue.enter(FAN, schedule_id=OTHER_SHOW)
    queue.enter(RIVAL)  # active too: only the token's scope can refuse him
    assert mine.place.state is ADMITTED and mine.access_expires_ms == NOW_MS + 300_000

    assert queue.require(mine.access_token) == AccessGrant(FAN, SHOW, NOW_MS + 300_000)
    assert queue.require(mine.access_token, schedule_id=None).schedule_id == SHOW
    refused = [
        (other_show.access_token, FAN, SHOW),
        (mine.access_token, FAN, OTHER_SHOW),
        (mine.access_token, RIVAL, SHOW),
    ]
    for token, user_id, schedule_id in refused:
        with pytest.raises(NotAdmitted, match="another fan or schedule"):
            queue.require(token, user_id=user_id, schedule_id=schedule_id)


def test_an_access_token_is_refused_from_its_expiry_on(queue: Queue) -> None:
    queue.open_show()
    answer = queue.enter(FAN)
    assert answer.access_expires_ms is not None
    queue.clock.current_ms = answer.access_expires_ms - 1
    queue.require(answer.access_token)
    queue.clock.current_ms = answer.access_expires_ms
    with pytest.raises(NotAdmitted, match="expired"):
        queue.require(answer.access_token)


def test_a_genuine_token_is_refused_once_the_slot_was_released_and_a_forged_one_always(
    queue: Queue,
) -> None:
    queue.open_show()
    answer = queue.enter(FAN)
    assert answer.access_expires_ms is not None
    forged = AccessTokens(secret=b"not the server's").issue(
        user_id=FAN, schedule_id=SHOW, expires_ms=answer.access_expires_ms
    )
    with pytest.raises(NotAdmitted, match="not genuine"):
        queue.require(forged)
    queue.require(answer.access_token)
    queue.room.leave(schedule_id=SHOW, user_id=FAN)
    with pytest.raises(NotAdmitted, match="released or has expired"):
        queue.require(answer.access_token)


def test_acting_extends_the_slot_and_the_next_heartbeat_hands_out_a_token_for_it(
    queue: Queue,
) -> None:
    queue.open_show(active_ttl_seconds=300)
    first = queue.enter(FAN)
    queue.clock.advance(200)
    queue.require(first.access_token)  # a hold: the slot now lasts until 500 s
    queue.clock.advance(100)
    with pytest.raises(NotAdmitted, match="expired"):  # the token keeps its own expiry
        queue.require(first.access_token)
    fresh = queue.check(FAN)
    assert fresh.place.state is ADMITTED and fresh.access_expires_ms == NOW_MS + 500_000
    queue.clock.advance(150)
    assert queue.require(fresh.access_token).expires_ms == NOW_MS + 500_000


# --- pre-queue and opening ------------------------------------------------------------------


def test_before_the_opening_fans_wait_in_the_pre_queue_without_an_entry_number(
    queue: Queue,
) -> None:
    queue.open_show(opens_at=at_ms(NOW_MS + 60_000))
    first = queue.enter(FAN)
    queue.enter(RIVAL)
    queue.clock.advance(30)
    again = queue.enter(FAN)
    for answer in (first, again, queue.check(FAN)):
        assert answer.place.state is PlaceState.PRE_QUEUE
        assert answer.place.entry_number is None and answer.queue_token is None
        assert answer.access_token is None and answer.place.opens_at_ms == NOW_MS + 60_000
    assert first.place.created and not again.place.created
    state = queue.state()
    assert (state.phase, state.serving, state.waiting) == (QueuePhase.PRE_QUEUE, 0, 2)
    with pytest.raises(NotInQueue):
        queue.check(LATECOMER)


def test_at_the_opening_early_arrivals_go_ahead_of_later_ones(queue: Queue) -> None:
    queue.open_show(opens_at=at_ms(NOW_MS + 60_000), admit_per_second=1)
    early = [1, 2, 3]
    for user in early:
        queue.enter(user)
    queue.clock.advance(60)
    late = queue.enter(LATECOMER)
    assert late.place.state is WAITING
    assert (late.place.entry_number, late.place.position) == (4, 3)
    answers = [queue.check(user) for user in early]
    assert [a.place.state for a in answers].count(ADMITTED) == 1  # one second's budget
    waiting = [a for a in answers if a.place.state is WAITING]
    assert sorted(a.place.entry_number or 0 for a in waiting) == [2, 3]
    assert all(a.queue_token is not None for a in waiting)
    state = queue.state()
    assert (state.phase, state.serving, state.waiting) == (QueuePhase.OPEN, 1, 3)


# --- heartbeats and abandonment -------------------------------------------------------------


def test_a_fan_whose_heartbeats_stop_loses_the_place_and_the_line_passes_it(
    queue: Queue,
) -> None:
    queue.open_show(max_active=1, admit_per_second=1, abandon_after_seconds=30)
    queue.enter(1)  # takes the only slot
    assert queue.enter(FAN).place.entry_number == 2  # will go silent
    assert queue.enter(RIVAL).place.entry_number == 3  # keeps beating
    assert queue.state().waiting == 2
    for _ in range(4):
        queue.clock.advance(10)
        assert queue.check(RIVAL).place.position == 2
    assert queue.state().waiting == 1  # the silent fan stopped counting at once

    queue.room.leave(schedule_id=SHOW, user_id=1)
    assert queue.check(RIVAL).place.state is ADMITTED  # the lost place used no budget
    assert queue.state().serving == 3
    with pytest.raises(NotInQueue):
        queue.check(FAN)


def test_one_late_heartbeat_never_costs_the_place_but_silence_does(queue: Queue) -> None:
    queue.open_show(max_active=1, heartbeat_seconds=10, abandon_after_seconds=5)
    queue.enter(RIVAL)
    queue.enter(FAN)
    for _ in range(4):  # 25 s between heartbeats: late, but under three of them
        queue.clock.advance(25)
        assert queue.check(FAN).place.position == 1
    queue.clock.advance(40)
    with pytest.raises(NotInQueue):
        queue.check(FAN)
    with pytest.raises(NotInQueue):  # lost for good, not just this once
        queue.check(FAN)
    back = queue.enter(FAN)
    assert back.place.created and back.place.entry_number == 3  # at the back of the line


# --- settings lost by Redis -----------------------------------------------------------------


def test_settings_redis_lost_are_written_back_from_the_database_and_the_fan_enters(
    queue: Queue,
) -> None:
    settings = queue.open_show(max_active=1)
    queue.room.flush()
    answer = queue.enter(FAN)
    assert answer.place.created and answer.access_token is not None  # first in the new line
    assert queue.room.settings_of(SHOW) == settings
    assert queue.source.reads == [SHOW]
    assert queue.enter(RIVAL).place.position == 1
    assert queue.source.reads == [SHOW]  # the database is read only when Redis lost them


def test_the_state_and_the_heartbeat_write_lost_settings_back_too(queue: Queue) -> None:
    queue.open_show()
    queue.enter(FAN)
    queue.room.flush()
    state = queue.state()
    assert (state.phase, state.serving, state.waiting) == (QueuePhase.OPEN, 0, 0)
    assert state.opens_at_ms == OPENS_MS
    queue.room.flush()
    with pytest.raises(NotInQueue):  # the place went with Redis; the waiting room did not
        queue.check(FAN)
    assert queue.source.reads == [SHOW, SHOW]


def test_an_unknown_schedule_stays_not_found(queue: Queue) -> None:
    with pytest.raises(QueueNotFound):
        queue.enter(FAN, schedule_id=UNKNOWN_SHOW)
    with pytest.raises(QueueNotFound):
        queue.check(FAN, schedule_id=UNKNOWN_SHOW)
    with pytest.raises(QueueNotFound):
        queue.state(UNKNOWN_SHOW)
    assert queue.source.reads == [UNKNOWN_SHOW] * 3
    assert queue.room.settings_stored == []


def test_no_entry_once_the_sale_closed_or_the_show_was_cancelled(queue: Queue) -> None:
    queue.open_show(closes_at=at_ms(NOW_MS + 60_000))
    queue.clock.advance(60)
    with pytest.raises(SaleClosed):
        queue.enter(FAN)
    assert queue.state().phase is QueuePhase.CLOSED
    # Cancelled while Redis was down: only the database knows, and that is enough.
    queue.source.settings[OTHER_SHOW] = settings_for(OTHER_SHOW, cancelled=True)
    with pytest.raises(SaleClosed):
        queue.enter(FAN, schedule_id=OTHER_SHOW)


def test_entering_too_often_is_rate_limited_with_a_retry_after_and_the_place_kept() -> None:
    queue = Queue(room=FakeWaitingRoom(user_rate=2, user_burst=5))
    queue.open_show(max_active=1)
    queue.enter(RIVAL)
    assert {queue.enter(FAN).place.entry_number for _ in range(5)} == {2}
    with pytest.raises(EntryRateLimited) as refused:
        queue.enter(FAN)
    assert refused.value.retry_after == 1
    assert queue.check(FAN).place.entry_number == 2
    queue.clock.advance(0.5)
    assert queue.enter(FAN).place.entry_number == 2


# --- the public state -----------------------------------------------------------------------


def test_the_public_state_tells_how_far_the_line_has_moved(queue: Queue) -> None:
    queue.open_show(admit_per_second=2)
    answers = [queue.enter(user) for user in range(1, 6)]
    state = queue.state()
    assert (state.schedule_id, state.phase, state.serving, state.waiting) == (
        SHOW,
        QueuePhase.OPEN,
        2,
        3,
    )
    assert (state.opens_at_ms, state.as_of_ms) == (OPENS_MS, NOW_MS)
    for answer in answers[2:]:  # a client computes its position from the state alone
        assert answer.place.position == (answer.place.entry_number or 0) - state.serving

    queue.clock.advance(1)
    position = queue.check(5).place.position
    later = queue.state()
    assert (later.serving, later.waiting, later.as_of_ms) == (4, 1, NOW_MS + 1000)
    assert position == 5 - later.serving == 1
    assert later.admitted_per_second > 0


# --- adaptive admission ---------------------------------------------------------------------


def test_steering_raises_the_rate_while_bookings_are_fast_and_fans_are_admitted_faster(
    queue: Queue,
) -> None:
    queue.open_show(admit_per_second=10, adaptive=ADAPTIVE)
    for user in range(1, 41):  # 10 admitted at once, 30 wait
        queue.enter(user)
    queue.latency.latency = FAST
    decisions = queue.steer(schedule_ids=[SHOW])
    # x1.5 over a reaction time, a third of it now: 10 x 1.145.
    assert decisions == {SHOW: RateDecision(rate=11, reason=RateReason.RAISED, p95_ms=100.0)}
    assert (queue.stats().admission_rate, queue.stats().rate_reason) == (11, "raised")
    queue.clock.advance(1)
    assert queue.tick() == list(range(11, 22))  # 11 in the next second, in entry order


def test_steering_admits_at_once_only_the_slots_of_the_steered_rate(queue: Queue) -> None:
    """100 slots sized for a ceiling of 40 a second: 25 at the floor of 10 a second, 38 once
    steered to 15; fans in stay in, so the slots, not the rate, stop admission."""
    queue.open_show(admit_per_second=10, adaptive=ADAPTIVE)
    for user in range(1, 101):
        queue.enter(user)
    for _ in range(3):
        queue.clock.advance(1)
        queue.tick()
    assert queue.stats().active == 25
    queue.latency.latency = FAST
    assert [queue.steer(schedule_ids=[SHOW])[SHOW].rate for _ in range(3)] == [11, 13, 15]
    queue.clock.advance(1)
    assert len(queue.tick()) == 13
    queue.clock.advance(1)
    assert queue.tick() == []
    assert queue.stats().active == 38


def test_steering_lowers_the_rate_as_soon_as_bookings_are_slow_but_never_under_the_floor(
    queue: Queue,
) -> None:
    queue.open_show(admit_per_second=10, adaptive=ADAPTIVE)
    for user in range(1, 41):
        queue.enter(user)
    queue.latency.latency = FAST
    assert [queue.steer(schedule_ids=[SHOW])[SHOW].rate for _ in range(3)] == [11, 13, 15]
    queue.latency.latency = NEAR
    held = queue.steer(schedule_ids=[SHOW])[SHOW]
    assert (held.rate, held.reason) == (15, RateReason.HELD)
    queue.latency.latency = SLOW
    lowered = [queue.steer(schedule_ids=[SHOW])[SHOW] for _ in range(4)]
    # Down by a third over the fans' reaction time (12 s: three 4-second ticks here), and
    # no lower than the operator's fixed rate.
    assert [(d.rate, d.reason) for d in lowered] == [
        (13, RateReason.LOWERED),
        (11, RateReason.LOWERED),
        (10, RateReason.LOWERED),
        (10, RateReason.LOWERED),
    ]
    assert queue.stats().steering_p95_ms == 400.0
    queue.clock.advance(1)
    assert len(queue.tick()) == 10


def test_the_eta_is_told_the_steady_raise_whatever_the_step_of_the_moment(queue: Queue) -> None:
    """Raising, holding or lowering, the steering tells the ETA the same climb: x1.5 a
    12-second reaction time."""
    queue.open_show(admit_per_second=10, adaptive=ADAPTIVE)
    for user in range(1, 41):
        queue.enter(user)
    told = []
    for latency in (FAST, NEAR, SLOW):
        queue.latency.latency = latency
        queue.steer(schedule_ids=[SHOW])
        told.append(queue.room.queues[SHOW].eta_growth)
    assert told == [told[0]] * 3
    assert abs(told[0] ** 12 - 1.5) < 1e-9


def test_steering_leaves_fixed_rate_and_idle_schedules_alone_and_reads_latency_once(
    queue: Queue,
) -> None:
    queue.open_show(SHOW, admit_per_second=10, adaptive=ADAPTIVE)
    queue.open_show(OTHER_SHOW, admit_per_second=10, adaptive=ADAPTIVE)
    queue.open_show(FIXED_SHOW, admit_per_second=10)
    later = at_ms(NOW_MS + 60_000)
    queue.open_show(EARLY_SHOW, admit_per_second=10, adaptive=ADAPTIVE, opens_at=later)
    for schedule_id in (SHOW, OTHER_SHOW, FIXED_SHOW, EARLY_SHOW):
        for user in range(1, 21):
            queue.enter(user, schedule_id=schedule_id)
    queue.latency.latency = FAST
    decisions = queue.steer(schedule_ids=[FIXED_SHOW, SHOW, EARLY_SHOW, OTHER_SHOW])
    assert {s: d.rate for s, d in decisions.items()} == {SHOW: 11, OTHER_SHOW: 11}
    assert queue.latency.reads == [(NOW_MS / 1000, 4)]  # one read for every schedule
    fixed = queue.stats(FIXED_SHOW)
    assert (fixed.admission_rate, fixed.rate_reason) == (10, "fixed")
    assert queue.stats(EARLY_SHOW).admission_rate == 10  # no climbing before the opening

    assert queue.steer(schedule_ids=[FIXED_SHOW, EARLY_SHOW]) == {}
    assert len(queue.latency.reads) == 1  # nothing to steer, nothing read


# --- admission that knows the seats left ------------------------------------------------------


def test_admission_lets_in_no_more_fans_than_there_are_seats_for(queue: Queue) -> None:
    queue.open_show(admit_per_second=50, max_active=100)
    queue.inventory.seats = {SHOW: SeatsLeft(free=3, held=0)}
    assert queue.admit_fans() == (0, True)  # counted before anyone came
    for user in range(1, 9):
        queue.enter(user)
    assert [queue.check(user).place.state for user in range(1, 6)] == [ADMITTED] * 3 + [WAITING] * 2
    stats = queue.stats()
    assert (stats.seats_free, stats.claims, stats.waiting) == (3, 3, 5)
    queue.clock.advance(1)
    assert queue.admit_fans() == (0, True)

    # A fan who holds takes a seat and stops claiming one (the gate follows it until the
    # next count): still no room for a fourth fan.
    queue.room.seats_taken(schedule_id=SHOW, user_id=1, seats=1)
    assert queue.state().seats == SeatsLeft(free=2, held=1)
    assert queue.check(4).place.state is WAITING
    queue.inventory.seats = {SHOW: SeatsLeft(free=2, held=1)}  # the hold committed
    queue.clock.advance(1)
    assert queue.admit_fans() == (0, True)
    # A fan who gives up frees a claim: the next fan in line is let in for the seat.
    queue.room.leave(schedule_id=SHOW, user_id=2)
    queue.clock.advance(1)
    assert queue.admit_fans() == (1, True)
    assert queue.check(4).place.state is ADMITTED
    assert queue.check(5).place.position == 1


def test_the_seats_of_a_lapsed_hold_let_the_next_fans_in(queue: Queue) -> None:
    queue.open_show(admit_per_second=50, max_active=100)
    queue.inventory.seats = {SHOW: SeatsLeft(free=2, held=0)}
    queue.admit_fans()
    for user in range(1, 6):
        queue.enter(user)
    for user in (1, 2):
        queue.room.seats_taken(schedule_id=SHOW, user_id=user, seats=1)
    state = queue.state()
    assert state.seats == SeatsLeft(free=0, held=2) and not state.seats.sold_out
    queue.inventory.seats = {SHOW: SeatsLeft(free=0, held=2)}
    queue.clock.advance(1)
    assert queue.admit_fans() == (0, True)
    queue.inventory.seats = {SHOW: SeatsLeft(free=1, held=1)}  # one hold lapsed, swept
    queue.clock.advance(1)
    assert queue.admit_fans() == (1, True)
    assert [queue.check(user).place.state for user in (3, 4)] == [ADMITTED, WAITING]


def test_a_claim_runs_out_with_the_fans_slot(queue: Queue) -> None:
    queue.open_show(
        admit_per_second=50, max_active=100, active_ttl_seconds=60, abandon_after_seconds=120
    )
    queue.inventory.seats = {SHOW: SeatsLeft(free=1, held=0)}
    queue.admit_fans()
    queue.enter(FAN)
    queue.enter(RIVAL)
    queue.clock.advance(59)
    assert queue.check(RIVAL).place.position == 1
    queue.clock.advance(2)  # the admitted fan never held: the slot and the claim ran out
    assert queue.check(RIVAL).place.state is ADMITTED


def test_with_the_database_down_admission_goes_on_by_the_last_count(queue: Queue) -> None:
    queue.open_show(admit_per_second=50, max_active=100)
    queue.inventory.seats = {SHOW: SeatsLeft(free=2, held=0)}
    queue.admit_fans()
    queue.inventory.down = True
    for user in range(1, 5):
        queue.enter(user)
    queue.clock.advance(1)
    assert queue.admit_fans() == (0, False)
    assert queue.stats().admitted_total == 2
    assert queue.state().seats == SeatsLeft(free=2, held=0)


def test_sold_out_once_no_seat_is_free_or_held(queue: Queue) -> None:
    queue.open_show()
    assert queue.state().seats is None  # not counted yet: nothing said
    queue.inventory.seats = {SHOW: SeatsLeft(free=0, held=0)}
    queue.admit_fans()
    assert queue.state().seats == SeatsLeft(free=0, held=0)
    assert queue.state().seats.sold_out  # type: ignore[union-attr]


def test_a_schedule_left_out_of_the_count_keeps_its_last_one(queue: Queue) -> None:
    """A schedule whose sale closed is not counted again; its last count stands."""
    queue.open_show(admit_per_second=50, max_active=100)
    queue.inventory.seats = {SHOW: SeatsLeft(free=1, held=0)}
    queue.admit_fans()
    queue.inventory.seats = {}
    for user in (1, 2):
        queue.enter(user)
    queue.clock.advance(1)
    assert queue.admit_fans() == (0, True)
    assert queue.stats().admitted_total == 1
    assert queue.state().seats == SeatsLeft(free=1, held=0)
