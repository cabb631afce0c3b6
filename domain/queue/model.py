"""The waiting room's vocabulary: settings, a fan's place, and the errors fans can meet."""

import bisect
import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.errors import DependencyUnavailable, Forbidden, InvalidInput, NotFound, RateLimited
from domain.queue.admission import AdaptiveAdmission


class QueuePhase(StrEnum):
    PRE_QUEUE = "pre_queue"
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class PlaceState(StrEnum):
    PRE_QUEUE = "pre_queue"
    WAITING = "waiting"
    ADMITTED = "admitted"


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueSettings:
    """What the waiting room of one schedule needs to know, kept beside the queue in Redis."""

    schedule_id: int
    opens_at: datetime
    closes_at: datetime
    max_active: int
    admit_per_second: int
    abandon_after_seconds: int
    active_ttl_seconds: int
    hold_ttl_seconds: int = 300
    heartbeat_seconds: int = 10
    cancelled: bool = False
    # None: admit at admit_per_second. Set: start there and steer by booking latency.
    adaptive: AdaptiveAdmission | None = None

    @property
    def abandon_after_ms(self) -> int:
        """A fan loses the place after missing about three heartbeats, never sooner: one late
        or lost heartbeat must not cost anyone a place."""
        return max(self.abandon_after_seconds, 3 * self.heartbeat_seconds) * 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class Place:
    """A fan's place: `position` counts from 1 while waiting and is 0 once admitted.

    `entry_number` is the place in line (None in the pre-queue and once admitted):
    `position` is `entry_number` minus the public `serving`.
    """

    state: PlaceState
    position: int
    eta_seconds: int
    entry_number: int | None
    active_until_ms: int
    opens_at_ms: int
    heartbeat_seconds: int
    created: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatsLeft:
    """A schedule's seats as the database has them: `free` to hold now, `held` by holds not
    yet paid or released (they may come back). Admission lets in no more fans than there
    are free seats for."""

    free: int
    held: int

    @property
    def sold_out(self) -> bool:
        """Nothing to hold and nothing that may come back (a refund aside)."""
        return self.free <= 0 and self.held <= 0


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueState:
    """How far the line has moved: the same answer for every fan, so caches may share it.

    Every fan whose entry number is at or below `serving` has been admitted or has lost the
    place; `waiting` counts the fans in line who still send heartbeats.
    """

    schedule_id: int
    phase: QueuePhase
    serving: int
    waiting: int
    admitted_per_second: float
    opens_at_ms: int
    as_of_ms: int
    seats: SeatsLeft | None = None  # None until the admission tick has counted them
    heartbeat_seconds: int = 0
    # Fans a second admission may let in now: the fixed rate, or the one adaptive
    # admission steers to (not public: `admitted_per_second` is what happened).
    admission_rate: int = 0
    # While open: (position, ETA in seconds) at positions from 1 to the last place in line,
    # each a quarter further than the one before, by the same rule a fan's place is told.
    eta_points: tuple[tuple[int, int], ...] = ()

    def eta_seconds(self, position: int) -> int | None:
        """The ETA at `position`, between the two points around it (or past the last one,
        at its slope: fans who entered after this state was read); None without points."""
        points = self.eta_points
        if not points:
            return None
        at = bisect.bisect_left(points, (position, -1))
        if at < len(points) and points[at][0] == position:
            return points[at][1]
        if len(points) == 1:
            return math.ceil(points[0][1] * position / max(1, points[0][0]))
        after = min(max(at, 1), len(points) - 1)  # the segment around it, or the last one
        (p1, e1), (p2, e2) = points[after - 1], points[after]
        return max(0, math.ceil(e1 + (e2 - e1) * (position - p1) / (p2 - p1)))


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueStats:
    waiting: int
    active: int
    pre_queue: int
    admitted_total: int
    abandoned_total: int
    entered_total: int
    admitted_per_second: float
    paused: bool
    serving: int = 0
    admission_rate: int = 0  # fans a second the next steps admit at
    rate_reason: str = "fixed"  # why the rate is what it is (domain.queue.admission)
    steering_p95_ms: float | None = None  # the booking latency adaptive admission saw
    seats_free: int | None = None  # seats free to hold, as admission last knew them
    claims: int = 0  # admitted fans who have not held a seat yet
    # Fans that may be admitted at once: the capacity, or with adaptive admission the share
    # of it at the steered rate (domain.queue.admission).
    slots: int = 0


class QueueNotFound(NotFound):
    code = "not_found"
    title = "No waiting room for this schedule"


class NotInQueue(NotFound):
    code = "not_in_queue"
    title = "You are not in this waiting room"


class EntryRateLimited(RateLimited):
    code = "rate_limited"
    title = "Too many attempts to enter"


class HoldRateLimited(RateLimited):
    code = "rate_limited"
    title = "Too many holds"


class NotAdmitted(Forbidden):
    code = "not_admitted"
    title = "Not admitted: wait for your turn in the queue"


class QueueUnavailable(DependencyUnavailable):
    code = "queue_unavailable"
    title = "The waiting room is unavailable; your place is kept"


def retry_after_seconds(wait_ms: int) -> int:
    return max(1, math.ceil(wait_ms / 1000))


class InvalidQueueToken(InvalidInput):
    code = "invalid_queue_token"
    title = "The queue token is not this fan's receipt for this schedule"
