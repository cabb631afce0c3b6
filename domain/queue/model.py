"""The waiting room's vocabulary: settings, a fan's place, and the errors fans can meet."""

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.errors import DependencyUnavailable, Forbidden, NotFound, RateLimited


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
    cancelled: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Place:
    """A fan's place: `position` counts from 1 while waiting and is 0 once admitted."""

    state: PlaceState
    position: int
    eta_seconds: int
    entry_number: int
    active_until_ms: int
    opens_at_ms: int
    created: bool = False


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
