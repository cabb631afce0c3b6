"""Adaptive admission: the waiting room finds the rate the servers sustain.

The operator sets a booking-latency target, the rate's ceiling, the capacity (how many
fans may be admitted at once) and the floor (the schedule's fixed rate: adaptive admission
starts there and never admits fewer). Every step, the rate moves by what the latency of
recent holds and payments says: up while it stays well under the target, down as soon as
it goes over, held in between.

Why it doubles while latency is far under the target (a quarter of it or less), as TCP's
slow start does: measured in the flash-sale bench with fans on their own, a sale that
climbed by a fifth a window spent 46 s admitting fewer fans than the servers could serve
(booking p95 10-36 ms against 250) and sold out in 228 s where a fixed 240/s took 125 s.

Why a floor: booking latency also rises with load that admission does not control (the
arrivals, the waiting fans' heartbeats). Measured in the flash-sale bench, 20,000 fans
arriving at once kept the booking p95 over the target before anyone was admitted, and a
rate free to fall went to 1 fan a second and would have taken hours to sell the show. The
floor keeps adaptive admission at least as fast as the operator's own choice.

Why each step is spread over the fans' reaction time, raising as lowering: the fans a
change admits book seconds later (they notice their turn, load the seat map, hold, pay), so
the latency the tick reads is the verdict on the rate of about `reaction_seconds` ago.
Stepping a whole step on every one-second tick moved the rate four times on one window's
news (measured in the flash-sale bench: floor to ceiling and back within 15 s, again and
again). Lowering a third every 4-second window while the fans admitted before it still
booked took the rate from the ceiling to the floor and left the servers idle (the p95
stayed over the target about 25 s). And raising a fifth every 4-second window, 1.73x in 12
s, or doubling every window, 8x in 12 s, took the rate past what the servers sustain before
its fans' bookings showed in the p95: measured in the flash-sale bench (PERFORMANCE.md, run
18), it climbed from 57 to 215 fans a second in 25 s with booking p95 85-173 ms, then p95
reached 9 s and stayed over the target for 40 s while it lowered. So a step up, like a step
down, is taken over one reaction time (`steps` ticks of it): x1.5 a reaction time while the
p95 is under 80% of the target, x2 while it is at a quarter of the target or less (30 to
240 fans a second in 36 s), /1.5 as soon as it is over; each rate is judged by the bookings
of the fans it admitted before the next step builds on it.
"""

import math
from dataclasses import dataclass
from enum import StrEnum

# Under this share of the target, there is room for more fans.
HEADROOM = 0.8
# What one reaction time of steps multiplies the rate by.
RAISE_BY = 1.5
# At or under this share of the target, the servers are nearly idle: double the rate.
FAR_UNDER = 0.25
RAISE_FAST_BY = 2.0
LOWER_BY = 0.67
# Fewer bookings than this in the window say nothing about latency: treat it as idle.
MIN_SAMPLES = 20


class RateReason(StrEnum):
    FIXED = "fixed"  # the operator's rate: no steering
    RAISED = "raised"  # latency well under the target
    RAISED_FAST = "raised_fast"  # latency far under the target: doubling a reaction time
    LOWERED = "lowered"  # latency over the target
    HELD = "held"  # latency near the target
    IDLE = "idle"  # too few bookings to judge: room for more
    AT_LIMIT = "at_limit"  # would rise, but the ceiling or the capacity is reached


# What a reaction time multiplies the rate by, for each reason that raises it.
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

    def slots_at(self, rate: int) -> int:
        """How many fans may be admitted at once while admitting `rate` a second: the share of
        the capacity that the rate is of the ceiling, as the operator sizes the capacity for
        the ceiling (the rate x the seconds a fan keeps a slot, docs/OPERATIONS.md).

        Why not the whole capacity at every rate: fans admitted stay in while they book, and
        when the servers slow down they stay longer, so a rate lowered on news that is seconds
        old still lets them pile up. A fixed 30 fans a second with 150 slots kept booking p95
        at 224 ms in the flash-sale bench; adaptive admission at 30-46 a second with the
        ceiling's 1,200 slots had 700 fans in at once and a p95 over the target (PERFORMANCE.md,
        run 19). With the slots following the rate, a slowdown slows admission at once: a slot
        frees only when a fan is done, whatever the rate says."""
        return min(self.capacity, max(1, math.ceil(self.capacity * rate / max(1, self.ceiling))))


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
    steps: int = 1,
) -> RateDecision:
    """The admission rate for the next step. `steps` steps, one reaction time of them, on the
    same news together raise it by its reason's factor or lower it by LOWER_BY."""
    current = max(target.floor, min(current, target.limit))
    share = 1 / max(1, steps)
    if latency.samples < MIN_SAMPLES:
        return _raised(current, target, RateReason.IDLE, None, share)
    p95 = latency.p95_ms
    if p95 > target.latency_target_ms:
        lowered = max(target.floor, min(current - 1, math.floor(current * LOWER_BY**share)))
        return RateDecision(rate=lowered, reason=RateReason.LOWERED, p95_ms=p95)
    if p95 > target.latency_target_ms * HEADROOM:
        return RateDecision(rate=current, reason=RateReason.HELD, p95_ms=p95)
    if p95 <= target.latency_target_ms * FAR_UNDER:
        return _raised(current, target, RateReason.RAISED_FAST, p95, share)
    return _raised(current, target, RateReason.RAISED, p95, share)


def _raised(
    current: int, target: AdaptiveAdmission, reason: RateReason, p95: float | None, share: float
) -> RateDecision:
    """`share` of a reaction time's raise for `reason`."""
    if current >= target.limit:
        return RateDecision(rate=target.limit, reason=RateReason.AT_LIMIT, p95_ms=p95)
    by = RAISE_BY_REASON[reason] ** share
    # Rounded to the nearest whole fan, not up: a step of 3% rounded up would be one of 6% at
    # 30 fans a second.
    raised = min(target.limit, max(current + 1, round(current * by)))
    return RateDecision(rate=raised, reason=reason, p95_ms=p95)


def eta_growth_per_second(*, reaction_seconds: int) -> float:
    """How fast the ETA a fan is shown projects an adaptive rate to grow, a second, until the
    limit (adapters/queue/lua/lib.lua): the steady raise, RAISE_BY a reaction time, whatever
    the step of the moment decided.

    Why project a climb at all: dividing by today's rate while the rate climbs from the floor
    to the ceiling told the first fans of an adaptive sale they would wait several times
    longer than they did (docs/PERFORMANCE.md). Why not the moment's decision: a fan's wait
    spans dozens of steps, and the step of the second it asked flipped its ETA. Measured in
    the flash-sale bench on one machine (PERFORMANCE.md, run 22): in one sale the arrivals'
    own load put booking p95 over the target in the first seconds, the steering lowered at
    the floor, the fans entering then were told no climb, and they waited half as long as told
    (median ETA error at entry 106%); in the sale before, it was raising then, and 9%; in run
    20, doubling at that moment, 46% too short; projecting the steady raise, 11-12% in the
    first case (runs 23 and 24). Whatever the first seconds decided, the rate then climbed
    from the floor by x1.7 to x1.8 a reaction time in those four sales, until the servers'
    limit, where every slot is taken and the ETA counts the measured pace instead."""
    return float(RAISE_BY ** (1 / max(1, reaction_seconds)))
