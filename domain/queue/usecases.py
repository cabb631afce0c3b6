import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from domain.errors import DependencyUnavailable
from domain.queue.access import AccessGrant, AccessTokens, entry_in_queue_token, queue_token
from domain.queue.admission import (
    BookingLatency,
    RateDecision,
    eta_growth_per_second,
    next_rate,
)
from domain.queue.model import (
    NotAdmitted,
    Place,
    PlaceState,
    QueueNotFound,
    QueuePhase,
    QueueState,
    SeatsLeft,
)
from domain.queue.ports import (
    AdmissionSteering,
    BookingLatencySource,
    Clock,
    Heartbeats,
    LineStates,
    QueueSettingsSource,
    SeatInventory,
    WaitingRoom,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueAnswer:
    place: Place
    queue_token: str | None
    access_token: str | None
    access_expires_ms: int | None


T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class _QueueUseCase:
    room: WaitingRoom
    settings: QueueSettingsSource
    tokens: AccessTokens
    clock: Clock

    def _with_settings(self, schedule_id: int, call: Callable[[], T]) -> T:
        """Runs `call`; if Redis has lost the schedule's settings (a restart without
        persistence), writes them back from the database and runs it once more."""
        try:
            return call()
        except QueueNotFound:
            stored = self.settings.settings_of(schedule_id)
            if stored is None:
                raise QueueNotFound(f"there is no schedule {schedule_id}") from None
            self.room.store_settings(stored, now_ms=self.clock.now_ms())
            return call()

    def _answer(self, *, schedule_id: int, user_id: int, place: Place) -> QueueAnswer:
        access = expires = None
        if place.state is PlaceState.ADMITTED:
            expires = place.active_until_ms
            access = self.tokens.issue(user_id=user_id, schedule_id=schedule_id, expires_ms=expires)
        receipt = None
        if place.entry_number:
            receipt = queue_token(
                self.tokens, user_id=user_id, schedule_id=schedule_id, entry=place.entry_number
            )
        return QueueAnswer(
            place=place, queue_token=receipt, access_token=access, access_expires_ms=expires
        )


class EnterQueue(_QueueUseCase):
    """Puts the fan in the schedule's waiting room, or returns the place already held.

    Guarantees: one Redis round trip on the hot path; the entry number is assigned atomically,
    so admission order equals entry order; a fan is never in the queue twice.
    """

    def __call__(self, *, schedule_id: int, user_id: int, client_ip: str) -> QueueAnswer:
        place = self._with_settings(
            schedule_id,
            lambda: self.room.enter(
                schedule_id=schedule_id,
                user_id=user_id,
                client_ip=client_ip,
                now_ms=self.clock.now_ms(),
            ),
        )
        return self._answer(schedule_id=schedule_id, user_id=user_id, place=place)


# Near the front, within this many seconds of the line's pace or of the rate in force,
# whichever is faster (a rate just raised has not moved the measure yet), and never fewer
# than NEAR_FRONT_PLACES, a heartbeat asks the room: the fan may be admitted any moment,
# and the public state the fan claims on may be a second newer than this process's.
NEAR_FRONT_SECONDS = 3
NEAR_FRONT_PLACES = 10
# The phases in which a waiting fan beats and nothing else changes for it: a paused line
# keeps its places as an open one does.
_BEATING = (QueuePhase.OPEN, QueuePhase.PAUSED)


@dataclass(frozen=True, kw_only=True)
class CheckPlace(_QueueUseCase):
    """The fan's place and ETA; keeps a waiting place alive; admits lazily if it is time.

    A heartbeat that brings the fan's queue token (its receipt: the entry number, signed) is
    answered from the line's state as this process last read it, without a Redis call, while
    the fan is clearly still waiting: `serving` far from its entry number, the line open or
    paused, and no batch has found the place gone. The beat itself is recorded in the next
    batch (`heartbeats`), within about a second, far inside `abandon_after_seconds`. Every
    other call, the claim included, is the room's own answer."""

    line: LineStates | None = None
    heartbeats: Heartbeats | None = None

    def __call__(
        self, *, schedule_id: int, user_id: int, receipt: str | None = None
    ) -> QueueAnswer:
        if receipt is not None:
            entry = entry_in_queue_token(
                self.tokens, receipt, user_id=user_id, schedule_id=schedule_id
            )
            answer = self._from_the_line(schedule_id, user_id, entry, receipt)
            if answer is not None:
                return answer
        place = self._with_settings(
            schedule_id,
            lambda: self.room.place(
                schedule_id=schedule_id, user_id=user_id, now_ms=self.clock.now_ms()
            ),
        )
        if self.heartbeats is not None and place.state is PlaceState.WAITING:
            self.heartbeats.forget_lost(schedule_id=schedule_id, user_id=user_id)
        return self._answer(schedule_id=schedule_id, user_id=user_id, place=place)

    def _from_the_line(
        self, schedule_id: int, user_id: int, entry: int, receipt: str
    ) -> QueueAnswer | None:
        if self.line is None or self.heartbeats is None:
            return None
        if self.heartbeats.known_lost(schedule_id=schedule_id, user_id=user_id):
            return None
        try:
            state = self.line.current(schedule_id=schedule_id)
        except QueueNotFound:
            return None  # the room's answer restores lost settings, or says 404
        position = entry - state.serving
        near_front = max(
            NEAR_FRONT_PLACES,
            math.ceil(max(state.admitted_per_second, state.admission_rate) * NEAR_FRONT_SECONDS),
        )
        if state.phase not in _BEATING or position <= near_front:
            return None
        eta = state.eta_seconds(position)
        if eta is None:
            return None
        self.heartbeats.record(schedule_id=schedule_id, user_id=user_id)
        place = Place(
            state=PlaceState.WAITING,
            position=position,
            eta_seconds=eta,
            entry_number=entry,
            active_until_ms=0,
            opens_at_ms=state.opens_at_ms,
            heartbeat_seconds=state.heartbeat_seconds,
        )
        return QueueAnswer(
            place=place, queue_token=receipt, access_token=None, access_expires_ms=None
        )


@dataclass(frozen=True, kw_only=True)
class LeaveQueue:
    """A fan leaves the line, or gives the active slot back (done, or paid). Marked lost in
    this process as well: a heartbeat it would answer from the line's state (CheckPlace)
    with the fan's old receipt must hear that the place is gone, not `waiting`."""

    room: WaitingRoom
    heartbeats: Heartbeats | None = None

    def __call__(self, *, schedule_id: int, user_id: int) -> bool:
        """True if the fan had a place or a slot to give up."""
        left = self.room.leave(schedule_id=schedule_id, user_id=user_id)
        if self.heartbeats is not None:
            self.heartbeats.mark_lost(schedule_id=schedule_id, user_id=user_id)
        return left


class ReadQueueState(_QueueUseCase):
    """How far the line has moved, the same for every fan: one Redis round trip, no SQL
    (unless Redis has lost the schedule's settings), and nothing about any one fan."""

    def __call__(self, *, schedule_id: int) -> QueueState:
        return self._with_settings(
            schedule_id,
            lambda: self.room.state(schedule_id=schedule_id, now_ms=self.clock.now_ms()),
        )


@dataclass(frozen=True, kw_only=True)
class RequireAccess:
    """Checks an access token and that its fan is still active, extending the slot.

    Raises NotAdmitted for a forged, expired, other-fan or other-schedule token, and for a
    fan whose slot was released or ran out.
    """

    room: WaitingRoom
    tokens: AccessTokens
    clock: Clock

    def __call__(self, *, token: str, user_id: int, schedule_id: int | None) -> AccessGrant:
        """`schedule_id` None takes the schedule from the token: the caller checks it
        against what the request acts on (a payment, against its reservation's row)."""
        now = self.clock.now_ms()
        grant = self.tokens.verify(token, user_id=user_id, schedule_id=schedule_id, now_ms=now)
        if not self.room.touch(schedule_id=grant.schedule_id, user_id=user_id, now_ms=now):
            raise NotAdmitted("your slot was released or has expired; join the queue again")
        return grant


@dataclass(frozen=True, kw_only=True)
class SteerAdmission:
    """One step of adaptive admission for each schedule that has it on: the booking latency
    of the last `window_seconds` moves the rate (domain.queue.admission). Run by the
    admission tick before it admits."""

    room: AdmissionSteering
    latency: BookingLatencySource
    clock: Clock
    window_seconds: int = 4
    # How often the admission tick runs it: each run takes its share of a step.
    tick_seconds: int = 1
    # How long the fans a change admits take to book, and the fans admitted before it go on
    # booking: each step up or down is spread over this long (domain.queue.admission).
    reaction_seconds: int = 12

    def __call__(self, *, schedule_ids: list[int]) -> dict[int, RateDecision]:
        decisions: dict[int, RateDecision] = {}
        recent: BookingLatency | None = None  # one read for every schedule: servers are shared
        for schedule_id in schedule_ids:
            control = self.room.adaptive_admission(schedule_id=schedule_id)
            if control is None:
                continue
            target, rate = control
            if recent is None:
                recent = self.latency.recent(
                    now_s=self.clock.now_ms() / 1000, window_seconds=self.window_seconds
                )
            decision = next_rate(
                rate,
                recent,
                target,
                steps=max(1, self.reaction_seconds // self.tick_seconds),
            )
            self.room.steer(
                schedule_id=schedule_id,
                decision=decision,
                slots=target.slots_at(decision.rate),
                growth_per_second=eta_growth_per_second(reaction_seconds=self.reaction_seconds),
                limit=target.limit,
            )
            decisions[schedule_id] = decision
        return decisions


@dataclass(frozen=True, kw_only=True)
class AdmitWaitingFans:
    """The admission tick, every second: steer the rates of the queues with adaptive
    admission, count every schedule's seats left in the database, then one admission step
    for each queue, bounded by its seats.

    Without a count (the database unreachable), each queue goes on with its last one, which
    the hold gate keeps following between counts: admission does not stop because the
    database did. Returns the fans admitted and whether the seats were counted.
    """

    room: WaitingRoom
    steer: SteerAdmission
    inventory: SeatInventory
    clock: Clock

    def __call__(self) -> tuple[int, bool]:
        schedule_ids = self.room.known_schedules()
        self.steer(schedule_ids=schedule_ids)
        seats: dict[int, SeatsLeft] | None
        try:
            seats = self.inventory.seats_left(schedule_ids=schedule_ids)
        except DependencyUnavailable:
            seats = None
        admitted = 0
        for schedule_id in schedule_ids:
            admitted += len(
                self.room.tick(
                    schedule_id=schedule_id,
                    now_ms=self.clock.now_ms(),
                    seats=None if seats is None else seats.get(schedule_id),
                )
            )
        return admitted, seats is not None
