"""In-memory fakes of the waiting room's ports (domain/queue/ports.py), for use-case tests
that need no Redis.

FakeWaitingRoom keeps the rules the Lua scripts (adapters/queue/lua/) keep in Redis, in the
same order within each call, so that a use case's outcome can be checked in milliseconds:

- an entry counter and a line with one element per entry number, so the head is always
  `serving + 1`; a fan's record holds the entry number and the second of the last heartbeat;
- entering again returns the place held (waiting, admitted or pre-queue), never a new one;
- a heartbeat (`place`) older than `abandon_after_ms` loses the place (NotInQueue); the line
  passes lost and left places without using admission budget, and `waiting` stops counting
  silent fans at once;
- admission at the head while there is capacity (`max_active` active slots, which expire)
  and rate budget (a token bucket of one second of burst), run by `tick` and lazily by
  `enter` and `place`; nobody is admitted before the opening, while paused or once closed;
- once `tick` has been given the seats left, admission also keeps the admitted fans who
  have not held yet (claims, which expire with the slot) within the seats free;
  `seats_taken` is the hold gate's side (the seats leave `free`, the fan its claim);
- before `opens_at` fans go to a pre-queue without entry number; at the opening they go into
  the line ahead of later arrivals;
- `touch` extends an active slot; `leave` frees a place or a slot;
- entry rate limits per fan and per address (token buckets, 0 turns one off);
- the settings, as `store_settings` writes them; without them every fan-facing call raises
  QueueNotFound, as after a Redis restart without persistence (`flush`);
- adaptive admission's side (AdmissionSteering): the rate in force, steered only while the
  schedule is adaptive, open, unpaused and has a line.

Simplified on purpose:

- the opening moves every early arrival in one step (Redis does it in bounded steps and
  shows `pre_queue` meanwhile), in an order shuffled by a seeded random generator;
- the ETA divides the position by the rate in force (Redis: by the measured pace of the line);
- `admitted_per_second` counts the admissions of the last minute (Redis: an exponentially
  weighted count over about a minute);
- no bound on the places passed per admission step, no key expiry, and Redis never goes
  down: QueueUnavailable is never raised;
- `stats` of a schedule without settings raises QueueNotFound (Redis answers zeros).
"""

import math
import random
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

from domain.concert.model import SaleClosed
from domain.errors import DependencyUnavailable
from domain.queue.admission import AdaptiveAdmission, BookingLatency, RateDecision
from domain.queue.model import (
    EntryRateLimited,
    NotInQueue,
    Place,
    PlaceState,
    QueueNotFound,
    QueuePhase,
    QueueSettings,
    QueueState,
    QueueStats,
    SeatsLeft,
    retry_after_seconds,
)

NOW_MS = 1_780_000_000_000  # a whole second, so heartbeat seconds are easy to follow
RATE_WINDOW_MS = 60_000


def at_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def ms_of(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class FakeClock:
    def __init__(self, now_ms: int = NOW_MS) -> None:
        self.current_ms = now_ms

    def now_ms(self) -> int:
        return self.current_ms

    def advance(self, seconds: float) -> None:
        self.current_ms += round(seconds * 1000)


@dataclass
class _Queue:
    """What Redis keeps for one schedule (the keys of docs/WAITING_ROOM.md)."""

    settings: QueueSettings
    paused: bool = False
    seq: int = 0  # the entry counter
    serving: int = 0
    opened: bool = False
    line: deque[int] = field(default_factory=deque)  # users, one per entry number
    fans: dict[int, tuple[int, int]] = field(default_factory=dict)  # user -> (entry, beat s)
    pre: set[int] = field(default_factory=set)
    active: dict[int, int] = field(default_factory=dict)  # user -> slot expiry (ms)
    claims: dict[int, int] = field(default_factory=dict)  # admitted, not holding: user -> expiry
    seats: SeatsLeft | None = None  # as the tick last counted them, followed by seats_taken
    tokens: float | None = None
    tokens_ms: int | None = None
    rate_now: int | None = None  # set while adaptive admission steers
    slots_now: int | None = None  # the slots at rate_now
    rate_reason: str = "fixed"
    rate_p95_ms: float | None = None
    eta_growth: float = 1.0  # what the steering told the ETA (not projected here)
    admitted_at: list[int] = field(default_factory=list)  # ms of each admission
    admitted_ms: int = 0  # the last admission's stamp: admissions never go back in time
    admitted_total: int = 0
    abandoned_total: int = 0

    @property
    def opens_ms(self) -> int:
        return ms_of(self.settings.opens_at)

    @property
    def rate(self) -> int:
        return self.settings.admit_per_second if self.rate_now is None else self.rate_now

    @property
    def slots(self) -> int:
        return min(self.settings.max_active, self.slots_now or self.settings.max_active)

    def closed(self, now: int) -> bool:
        return self.settings.cancelled or now >= ms_of(self.settings.closes_at)

    def alive_from(self, now: int) -> int:
        """A fan is alive while the last heartbeat second is at or after this one."""
        return (now - self.settings.abandon_after_ms) // 1000

    def alive(self, now: int) -> int:
        return sum(1 for _, second in self.fans.values() if second >= self.alive_from(now))


class FakeWaitingRoom:
    """The WaitingRoom and AdmissionSteering ports in memory (see the module's docstring)."""

    def __init__(
        self,
        *,
        user_rate: float = 0,
        user_burst: int = 0,
        ip_rate: float = 0,
        ip_burst: int = 0,
        seed: int = 0,
    ) -> None:
        self.queues: dict[int, _Queue] = {}
        self.limits = (user_rate, user_burst, ip_rate, ip_burst)
        self.buckets: dict[tuple[int, str, str], tuple[float, int]] = {}
        self.random = random.Random(seed)
        self.settings_stored: list[QueueSettings] = []

    # --- for tests -------------------------------------------------------------------------

    def seats_taken(self, *, schedule_id: int, user_id: int, seats: int) -> None:
        """The hold gate's part (adapters/reservation/lua/hold_gate.lua)."""
        queue = self._queue(schedule_id)
        queue.claims.pop(user_id, None)
        if queue.seats is not None:
            queue.seats = SeatsLeft(free=queue.seats.free - seats, held=queue.seats.held + seats)

    def flush(self) -> None:
        """Redis restarted without persistence: settings, lines and slots are gone."""
        self.queues.clear()
        self.buckets.clear()

    def settings_of(self, schedule_id: int) -> QueueSettings | None:
        queue = self.queues.get(schedule_id)
        return None if queue is None else queue.settings

    def known_schedules(self) -> list[int]:
        return sorted(self.queues)

    def set_paused(self, *, schedule_id: int, paused: bool) -> None:
        self._queue(schedule_id).paused = paused

    # --- WaitingRoom ------------------------------------------------------------------------

    def enter(self, *, schedule_id: int, user_id: int, client_ip: str, now_ms: int) -> Place:
        queue = self._queue(schedule_id)
        if queue.closed(now_ms):
            raise SaleClosed(f"the sale of schedule {schedule_id} is closed")
        user_rate, user_burst, ip_rate, ip_burst = self.limits
        wait_ms = self._take((schedule_id, "u", str(user_id)), user_rate, user_burst, now_ms)
        if wait_ms == 0:
            wait_ms = self._take((schedule_id, "ip", client_ip), ip_rate, ip_burst, now_ms)
        if wait_ms > 0:
            raise EntryRateLimited(
                "too many attempts to enter; try again shortly",
                retry_after=retry_after_seconds(wait_ms),
            )
        self._open_if_due(queue, now_ms)
        created, entry = False, None
        if now_ms < queue.opens_ms:
            created = user_id not in queue.pre
            queue.pre.add(user_id)
        else:
            entry = self._beat(queue, now_ms, user_id)
            active = queue.active.get(user_id, 0) > now_ms
            if entry is None and not active and user_id not in queue.pre:
                queue.seq += 1
                entry = queue.seq
                queue.line.append(user_id)
                queue.fans[user_id] = (entry, now_ms // 1000)
                created = True
            self._admit(queue, now_ms)
        place = self._place_of(queue, now_ms, user_id, entry, created=created)
        assert place is not None, "a fan who just entered has a place"
        return place

    def place(self, *, schedule_id: int, user_id: int, now_ms: int) -> Place:
        queue = self._queue(schedule_id)
        self._open_if_due(queue, now_ms)
        entry = self._beat(queue, now_ms, user_id)
        self._admit(queue, now_ms)
        place = self._place_of(queue, now_ms, user_id, entry)
        if place is None:
            raise NotInQueue(f"you are not in the waiting room of schedule {schedule_id}")
        return place

    def leave(self, *, schedule_id: int, user_id: int) -> bool:
        queue = self.queues.get(schedule_id)
        if queue is None:
            return False
        removed = queue.active.pop(user_id, None) is not None
        queue.claims.pop(user_id, None)
        if user_id in queue.pre:
            queue.pre.discard(user_id)
            removed = True
        # The line element stays: the line passes the place when it gets there.
        return queue.fans.pop(user_id, None) is not None or removed

    def touch(self, *, schedule_id: int, user_id: int, now_ms: int) -> int:
        queue = self.queues.get(schedule_id)
        until = None if queue is None else queue.active.get(user_id)
        if queue is None or until is None or until <= now_ms:
            return 0
        queue.active[user_id] = max(until, now_ms + queue.settings.active_ttl_seconds * 1000)
        return queue.active[user_id]

    def tick(self, *, schedule_id: int, now_ms: int, seats: SeatsLeft | None = None) -> list[int]:
        queue = self.queues.get(schedule_id)
        if queue is None:
            return []
        if seats is not None:
            queue.seats = seats
        self._open_if_due(queue, now_ms)
        return self._admit(queue, now_ms)

    def state(self, *, schedule_id: int, now_ms: int) -> QueueState:
        queue = self._queue(schedule_id)
        waiting = queue.alive(now_ms)
        phase = QueuePhase.OPEN
        if queue.closed(now_ms):
            phase = QueuePhase.CLOSED
        elif queue.paused:
            phase = QueuePhase.PAUSED
        elif not queue.opened and (now_ms < queue.opens_ms or queue.pre):
            phase = QueuePhase.PRE_QUEUE
            waiting += len(queue.pre)
        return QueueState(
            schedule_id=schedule_id,
            phase=phase,
            serving=queue.serving,
            waiting=waiting,
            admitted_per_second=self._admitted_per_second(queue, now_ms),
            opens_at_ms=queue.opens_ms,
            as_of_ms=now_ms,
            seats=None
            if queue.seats is None
            else SeatsLeft(free=max(0, queue.seats.free), held=max(0, queue.seats.held)),
        )

    def store_settings(self, settings: QueueSettings, *, now_ms: int) -> None:
        self.settings_stored.append(settings)
        queue = self.queues.get(settings.schedule_id)
        if queue is None:
            queue = self.queues[settings.schedule_id] = _Queue(settings=settings)
        queue.settings = settings
        if settings.adaptive is None:
            queue.rate_now, queue.rate_reason, queue.rate_p95_ms = None, "fixed", None
            queue.slots_now = None
        elif queue.rate_now is None:  # a steered rate survives a settings change
            queue.rate_now = settings.admit_per_second
            queue.slots_now = settings.adaptive.slots_at(settings.admit_per_second)
        if queue.opens_ms > now_ms:  # the opening moved to the future: it comes again
            queue.opened = False

    def stats(self, *, schedule_id: int, now_ms: int) -> QueueStats:
        queue = self._queue(schedule_id)
        queue.active = {user: until for user, until in queue.active.items() if until > now_ms}
        alive = queue.alive(now_ms)
        return QueueStats(
            waiting=alive,
            active=len(queue.active),
            pre_queue=len(queue.pre),
            admitted_total=queue.admitted_total,
            abandoned_total=queue.abandoned_total + len(queue.fans) - alive,
            entered_total=queue.seq,
            admitted_per_second=self._admitted_per_second(queue, now_ms),
            paused=queue.paused,
            serving=queue.serving,
            admission_rate=queue.rate,
            rate_reason=queue.rate_reason,
            steering_p95_ms=queue.rate_p95_ms,
            seats_free=None if queue.seats is None else queue.seats.free,
            claims=len({user for user, until in queue.claims.items() if until > now_ms}),
            slots=queue.slots,
        )

    # --- AdmissionSteering -----------------------------------------------------------------

    def adaptive_admission(self, *, schedule_id: int) -> tuple[AdaptiveAdmission, int] | None:
        queue = self.queues.get(schedule_id)
        if queue is None or queue.settings.adaptive is None:
            return None
        if queue.paused or not queue.opened or not queue.line:
            return None
        control = AdaptiveAdmission(
            latency_target_ms=queue.settings.adaptive.latency_target_ms,
            ceiling=queue.settings.adaptive.ceiling,
            capacity=queue.settings.max_active,
            floor=queue.settings.admit_per_second,
        )
        return control, queue.rate

    def steer(
        self,
        *,
        schedule_id: int,
        decision: RateDecision,
        slots: int,
        growth_per_second: float,
        limit: int,
    ) -> None:
        # The ETA here divides by the rate in force: the growth is kept, not projected.
        queue = self.queues.get(schedule_id)
        if queue is not None:
            queue.eta_growth = growth_per_second
            queue.rate_now = decision.rate
            queue.slots_now = slots
            queue.rate_reason = decision.reason.value
            queue.rate_p95_ms = decision.p95_ms

    # --- the scripts' shared steps (lua/lib.lua) -------------------------------------------

    def _queue(self, schedule_id: int) -> _Queue:
        queue = self.queues.get(schedule_id)
        if queue is None:
            raise QueueNotFound(f"no waiting room for schedule {schedule_id}")
        return queue

    def _take(self, key: tuple[int, str, str], rate: float, burst: int, now: int) -> int:
        """A token bucket: 0 and a token taken, or the milliseconds until one is due."""
        if rate <= 0:
            return 0
        tokens, last = self.buckets.get(key, (float(burst), now))
        tokens = min(burst, tokens + (now - last) * rate / 1000)
        if tokens < 1:
            return math.ceil((1 - tokens) * 1000 / rate)
        self.buckets[key] = (tokens - 1, now)
        return 0

    def _open_if_due(self, queue: _Queue, now: int) -> None:
        if now < queue.opens_ms or queue.opened:
            return
        early = sorted(queue.pre)
        self.random.shuffle(early)
        queue.pre.clear()
        second = now // 1000
        if queue.seq > 0:  # opened once already, then moved: the early ones follow the line
            for user in early:
                queue.seq += 1
                queue.fans[user] = (queue.seq, second)
                queue.line.append(user)
        else:
            for entry, user in enumerate(early, start=1):
                queue.fans[user] = (entry, second)
            queue.line.extendleft(reversed(early))
            queue.seq, queue.serving = len(early), 0
        queue.opened = True

    def _beat(self, queue: _Queue, now: int, user: int) -> int | None:
        """Keeps a waiting place: its entry number, or None when the fan has none, or had
        stopped beating for abandon_after and so has just lost it."""
        record = queue.fans.get(user)
        if record is None:
            return None
        entry, second = record
        if second < queue.alive_from(now):
            del queue.fans[user]
            queue.abandoned_total += 1
            return None
        queue.fans[user] = (entry, now // 1000)
        return entry

    def _admit(self, queue: _Queue, now: int) -> list[int]:
        queue.active = {user: until for user, until in queue.active.items() if until > now}
        queue.claims = {user: until for user, until in queue.claims.items() if until > now}
        settings = queue.settings
        if queue.paused or queue.closed(now) or now < queue.opens_ms or not queue.opened:
            return []
        rate = queue.rate
        tokens = rate if queue.tokens is None else queue.tokens
        last = now if queue.tokens_ms is None else queue.tokens_ms
        tokens = min(rate, tokens + (now - last) * rate / 1000)
        budget = min(queue.slots - len(queue.active), math.floor(tokens))
        if queue.seats is not None:
            budget = min(budget, queue.seats.free - len(queue.claims))
        alive_from = queue.alive_from(now)
        stamp = max(now, queue.admitted_ms)
        admitted: list[int] = []
        while budget > 0 and queue.line:
            user = queue.line.popleft()
            queue.serving += 1
            record = queue.fans.get(user)
            if record is None or record[0] != queue.serving:
                continue  # left, or entered again later: passed
            del queue.fans[user]
            if record[1] < alive_from:
                queue.abandoned_total += 1  # lost to silence: passed without budget
                continue
            queue.active[user] = stamp + settings.active_ttl_seconds * 1000
            queue.claims[user] = queue.active[user]
            admitted.append(user)
            budget -= 1
            tokens -= 1
        queue.tokens, queue.tokens_ms = tokens, now
        if admitted:
            queue.admitted_ms = stamp
        queue.admitted_at += [now] * len(admitted)
        queue.admitted_total += len(admitted)
        return admitted

    def _admitted_per_second(self, queue: _Queue, now: int) -> float:
        if not queue.admitted_at:
            return 0.0
        recent = sum(1 for moment in queue.admitted_at if moment > now - RATE_WINDOW_MS)
        window = min(RATE_WINDOW_MS, max(1000, now - queue.admitted_at[0]))
        return recent * 1000 / window

    def _place_of(
        self, queue: _Queue, now: int, user: int, entry: int | None, *, created: bool = False
    ) -> Place | None:
        """The fan's place, or None when the fan has none."""
        until = queue.active.get(user, 0)
        if entry is None and user in queue.fans:
            entry = queue.fans[user][0]
        if until > now:
            state, position, entry = PlaceState.ADMITTED, 0, None
        elif entry is not None:
            state, position, until = PlaceState.WAITING, entry - queue.serving, 0
        elif user in queue.pre:
            state, position, until = PlaceState.PRE_QUEUE, 0, 0
        else:
            return None
        return Place(
            state=state,
            position=position,
            eta_seconds=math.ceil(position / queue.rate) if queue.rate > 0 else 0,
            entry_number=entry,
            active_until_ms=until,
            opens_at_ms=queue.opens_ms,
            heartbeat_seconds=queue.settings.heartbeat_seconds,
            created=created,
        )


class FakeQueueSettingsSource:
    """The database's settings of each schedule; counts the reads."""

    def __init__(self, *settings: QueueSettings) -> None:
        self.settings = {s.schedule_id: s for s in settings}
        self.reads: list[int] = []

    def settings_of(self, schedule_id: int) -> QueueSettings | None:
        self.reads.append(schedule_id)
        return self.settings.get(schedule_id)


class FakeBookingLatency:
    """What the app servers measured: set `latency` in a test; records every read."""

    def __init__(self, latency: BookingLatency | None = None) -> None:
        self.latency = latency or BookingLatency(samples=0, p95_ms=0.0)
        self.reads: list[tuple[float, int]] = []

    def recent(self, *, now_s: float, window_seconds: int) -> BookingLatency:
        self.reads.append((now_s, window_seconds))
        return self.latency


class FakeSeatInventory:
    """The SeatInventory port: the seats of the schedules on sale, set by the test (the
    others are left out); `down` makes it raise as the database would when unreachable."""

    def __init__(self) -> None:
        self.seats: dict[int, SeatsLeft] = {}
        self.down = False

    def seats_left(self, *, schedule_ids: list[int]) -> dict[int, SeatsLeft]:
        if self.down:
            raise DependencyUnavailable("the database is down")
        return {
            schedule: self.seats[schedule] for schedule in schedule_ids if schedule in self.seats
        }
