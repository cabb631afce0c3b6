"""Adaptive admission: the waiting room finds the rate the servers sustain.

The operator sets a booking-latency target, the rate's ceiling, the capacity (how many
fans may be admitted at once) and the floor (the schedule's fixed rate: adaptive admission
starts there and never admits fewer). Every step, the rate moves by what the latency of
recent holds and payments says: up while it stays well under the target, down as soon as
it goes over, held in between. Up by a fifth, down by a third (additive-increase,
multiplicative-decrease in spirit, as TCP does): overload costs every booking fan, so the
rate backs off faster than it grows.

Why it doubles while latency is far under the target (a quarter of it or less), as TCP's
slow start does: a fifth a window takes 46 s from a floor of 30 to a ceiling of 240 fans a
second. Measured in the flash-sale bench with fans on their own, the adaptive sale spent
those 46 s admitting fewer fans than the servers could serve (booking p95 10-36 ms against
250) and sold out in 228 s where a fixed 240/s took 125 s. Doubling gets there in 12 s; a
p95 over the target still lowers it as before.

Why a floor: booking latency also rises with load that admission does not control (the
arrivals, the waiting fans' heartbeats). Measured in the flash-sale bench, 20,000 fans
arriving at once kept the booking p95 over the target before anyone was admitted, and a
rate free to fall went to 1 fan a second and would have taken hours to sell the show. The
floor keeps adaptive admission at least as fast as the operator's own choice.

Why a step a window, not a step a tick: the latency it steers by is the p95 of the last few
seconds, and the fans admitted by a change book seconds later. Stepping the full fifth or
third at every one-second tick moved the rate four times on one window's news: measured in
the flash-sale bench, it swung from the floor to the ceiling and back within 15 s, again
and again. Each tick now moves its share of one window's step (`steps_per_window`).

Why lowering is spread wider than raising: the fans admitted before a lowering still book
after it, so the p95 stays over the target until they are through. Measured in the
flash-sale bench (booking on servers of its own), it stayed over for about 25 s after the
first lowering; a third off every 4-second window on that same news took the rate from the
ceiling down to the floor, and the booking servers then stood idle while the rate climbed
back. So a lowering takes its third over `steps_to_lower` ticks (the admission tick spreads
it over 12 s), one reaction time of the fans, as TCP lowers once a round trip.
"""

import math
from dataclasses import dataclass
from enum import StrEnum

# Under this share of the target, there is room for more fans.
HEADROOM = 0.8
RAISE_BY = 1.2
# At or under this share of the target, the servers are nearly idle: double the rate.
FAR_UNDER = 0.25
RAISE_FAST_BY = 2.0
LOWER_BY = 0.67
# Fewer bookings than this in the window say nothing about latency: treat it as idle.
MIN_SAMPLES = 20


class RateReason(StrEnum):
    FIXED = "fixed"  # the operator's rate: no steering
    RAISED = "raised"  # latency well under the target
    RAISED_FAST = "raised_fast"  # latency far under the target: doubling a window
    LOWERED = "lowered"  # latency over the target
    HELD = "held"  # latency near the target
    IDLE = "idle"  # too few bookings to judge: room for more
    AT_LIMIT = "at_limit"  # would rise, but the ceiling or the capacity is reached


# What a window multiplies the rate by, for each reason that raises it: next_rate applies
# it, and growth_per_second tells the ETA.
RAISE_BY_REASON = {
    RateReason.RAISED: RAISE_BY,
    RateReason.IDLE: RAISE_BY,
    RateReason.RAISED_FAST: RAISE_FAST_BY,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class AdaptiveAdmission:
    """The operator's side: a latency target, a ceiling on the rate, the capacity, and the
    floor (the fixed rate it starts from)."""

    latency_target_ms: int
    ceiling: int
    capacity: int
    floor: int = 1

    @property
    def limit(self) -> int:
        # Admitting more fans a second than may be admitted at once only fills the queue
        # of fans waiting for a slot.
        return max(self.floor, min(self.ceiling, self.capacity))


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingLatency:
    """Holds and payments answered in the recent window, and their 95th percentile."""

    samples: int
    p95_ms: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RateDecision:
    rate: int
    reason: RateReason
    p95_ms: float | None  # the latency it steered by (None when too few samples)


def next_rate(
    current: int,
    latency: BookingLatency,
    target: AdaptiveAdmission,
    *,
    steps_per_window: int = 1,
    steps_to_lower: int | None = None,
) -> RateDecision:
    """The admission rate for the next step. `steps_per_window` steps in the time the latency
    is measured over raise it by RAISE_BY together; `steps_to_lower` steps (as many as
    `steps_per_window` unless given) lower it by LOWER_BY."""
    current = max(target.floor, min(current, target.limit))
    share = 1 / max(1, steps_per_window)
    if latency.samples < MIN_SAMPLES:
        return _raised(current, target, RateReason.IDLE, None, share)
    p95 = latency.p95_ms
    if p95 > target.latency_target_ms:
        by = LOWER_BY ** (1 / max(1, steps_to_lower or steps_per_window))
        lowered = max(target.floor, min(current - 1, math.floor(current * by)))
        return RateDecision(rate=lowered, reason=RateReason.LOWERED, p95_ms=p95)
    if p95 > target.latency_target_ms * HEADROOM:
        return RateDecision(rate=current, reason=RateReason.HELD, p95_ms=p95)
    if p95 <= target.latency_target_ms * FAR_UNDER:
        return _raised(current, target, RateReason.RAISED_FAST, p95, share)
    return _raised(current, target, RateReason.RAISED, p95, share)


def _raised(
    current: int, target: AdaptiveAdmission, reason: RateReason, p95: float | None, share: float
) -> RateDecision:
    """`share` of a window's raise for `reason`."""
    if current >= target.limit:
        return RateDecision(rate=target.limit, reason=RateReason.AT_LIMIT, p95_ms=p95)
    by = RAISE_BY_REASON[reason] ** share
    raised = min(target.limit, max(current + 1, math.ceil(current * by)))
    return RateDecision(rate=raised, reason=reason, p95_ms=p95)


def growth_per_second(decision: RateDecision, *, window_seconds: int) -> float:
    """How fast the rate will grow from here, a second, as far as the steering can tell:
    while it raises the rate (latency well under the target, or too few bookings to judge)
    it keeps multiplying it by RAISE_BY a window (RAISE_FAST_BY while the latency is far
    under the target) until the limit; otherwise 1. The ETA a fan is shown
    projects it (adapters/queue/lua/lib.lua): dividing by today's rate while the rate climbs
    from the floor to the ceiling told the first fans of an adaptive sale they would wait
    several times longer than they did (docs/PERFORMANCE.md)."""
    by = RAISE_BY_REASON.get(decision.reason, 1.0)
    return float(by ** (1 / max(1, window_seconds)))
