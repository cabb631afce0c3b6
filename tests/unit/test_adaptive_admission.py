"""The adaptive admission rule (domain/queue/admission.py), on plain values."""

from domain.queue.admission import (
    MIN_SAMPLES,
    AdaptiveAdmission,
    BookingLatency,
    RateReason,
    eta_growth_per_second,
    next_rate,
)

TARGET = AdaptiveAdmission(latency_target_ms=250, ceiling=240, capacity=1000)


def latency(p95_ms: float, samples: int = 500) -> BookingLatency:
    return BookingLatency(samples=samples, p95_ms=p95_ms)


def test_it_raises_the_rate_while_latency_stays_well_under_the_target() -> None:
    decision = next_rate(100, latency(120), TARGET)
    assert (decision.rate, decision.reason, decision.p95_ms) == (150, RateReason.RAISED, 120)
    assert next_rate(1, latency(100), TARGET).rate == 2  # a low rate still moves


def test_it_doubles_the_rate_while_latency_is_far_under_the_target() -> None:
    """At a quarter of the target or less the servers are nearly idle: from 30 to 240 fans
    a second in three reaction times, where x1.5 takes six."""
    decision = next_rate(30, latency(62.5), TARGET)
    assert (decision.rate, decision.reason, decision.p95_ms) == (60, RateReason.RAISED_FAST, 62.5)
    assert next_rate(30, latency(63), TARGET).reason == RateReason.RAISED
    rate, steps = 30, 0
    while rate < 240:
        rate, steps = next_rate(rate, latency(20), TARGET).rate, steps + 1
    assert (rate, steps) == (240, 3)
    # A tick a second over a 12-second reaction time: twelve ticks double it once.
    up = 100
    for _ in range(12):
        up = next_rate(up, latency(20), TARGET, steps=12).rate
    assert 196 <= up <= 204


def test_it_lowers_the_rate_as_soon_as_latency_goes_over_the_target() -> None:
    decision = next_rate(120, latency(251), TARGET)
    assert decision.reason == RateReason.LOWERED and decision.rate == 80
    assert next_rate(1, latency(900), TARGET).rate == 1  # never below the floor


def test_it_holds_the_rate_near_the_target() -> None:
    for p95 in (201, 250):
        assert next_rate(90, latency(p95), TARGET).rate == 90
        assert next_rate(90, latency(p95), TARGET).reason == RateReason.HELD


def test_too_few_bookings_say_nothing_about_latency_so_the_rate_rises() -> None:
    decision = next_rate(50, latency(5000, samples=MIN_SAMPLES - 1), TARGET)
    assert (decision.rate, decision.reason, decision.p95_ms) == (75, RateReason.IDLE, None)


def test_it_never_goes_past_the_ceiling_or_the_capacity() -> None:
    rate = 10
    for _ in range(40):
        rate = next_rate(rate, latency(20), TARGET).rate
    assert rate == 240
    assert next_rate(240, latency(20), TARGET).reason == RateReason.AT_LIMIT

    small = AdaptiveAdmission(latency_target_ms=250, ceiling=240, capacity=30)
    assert next_rate(29, latency(20), small).rate == 30
    assert next_rate(200, latency(20), small) == next_rate(30, latency(20), small)
    assert next_rate(200, latency(20), small).rate == 30  # a stale rate comes back in bounds


def test_it_never_goes_under_the_operators_fixed_rate() -> None:
    """Booking latency also rises with load admission does not control (arrivals, waiting
    fans): the floor keeps adaptive admission at least as fast as the fixed rate."""
    floored = AdaptiveAdmission(latency_target_ms=250, ceiling=240, capacity=1000, floor=30)
    assert next_rate(40, latency(900), floored).rate == 30
    assert next_rate(30, latency(900), floored).rate == 30
    assert next_rate(10, latency(900), floored).rate == 30  # a stale lower rate comes back up


def test_a_tick_a_second_moves_one_step_over_the_reaction_time_not_at_every_tick() -> None:
    """The fans a change admits book seconds later, so the latency a tick reads judges the
    rate of a reaction time ago: twelve one-second ticks on the same news move the rate as
    far as one step would, up as down, not twelve steps."""
    down, up = 120, 100
    for tick in range(12):
        down = next_rate(down, latency(400), TARGET, steps=12).rate
        up = next_rate(up, latency(150), TARGET, steps=12).rate
        if tick == 3:
            assert 100 <= down <= 106  # about 120 x 0.67^(4/12)
            assert 112 <= up <= 116  # about 100 x 1.5^(4/12)
    assert 76 <= down <= 80  # about 120 x 0.67 (whole fans a second, rounded down each time)
    assert 145 <= up <= 155  # about 100 x 1.5 (rounded to the nearest fan each time)
    assert next_rate(2, latency(400), TARGET, steps=12).rate == 1  # it still moves
    assert next_rate(2, latency(150), TARGET, steps=12).rate == 3


def test_a_raise_at_a_low_rate_is_not_inflated_by_rounding() -> None:
    """A twelfth of x1.5 is 3.4% a tick: rounded up, 30 fans a second would climb 6.7%."""
    rate = 30
    for _ in range(12):
        rate = next_rate(rate, latency(150), TARGET, steps=12).rate
    assert 42 <= rate <= 46  # about 30 x 1.5


def test_the_eta_projects_the_steady_raise_whatever_the_step_of_the_moment() -> None:
    """x1.5 a 12-second reaction time is 1.5 ** (1/12) a second, and what the ETA is told does
    not follow the step of the second a fan asks: a wait spans dozens of them."""
    growth = eta_growth_per_second(reaction_seconds=12)
    assert abs(growth**12 - 1.5) < 1e-9
    assert abs(eta_growth_per_second(reaction_seconds=4) ** 4 - 1.5) < 1e-9
    reasons = {
        next_rate(100, latency(120), TARGET).reason,
        next_rate(100, latency(20), TARGET).reason,
        next_rate(100, latency(230), TARGET).reason,
        next_rate(100, latency(300), TARGET).reason,
    }
    assert reasons == {
        RateReason.RAISED,
        RateReason.RAISED_FAST,
        RateReason.HELD,
        RateReason.LOWERED,
    }


def test_the_slots_follow_the_rate_as_a_share_of_the_capacity_sized_for_the_ceiling() -> None:
    """1,000 slots for a ceiling of 240 a second: 125 at 30 a second, all of them at the
    ceiling, never more than the capacity and never none."""
    assert TARGET.slots_at(30) == 125
    assert TARGET.slots_at(31) == 130  # rounded up: a fan more, not one less
    assert TARGET.slots_at(240) == 1000
    assert TARGET.slots_at(1) == 5
    small = AdaptiveAdmission(latency_target_ms=250, ceiling=240, capacity=1)
    assert small.slots_at(1) == 1
    floored = AdaptiveAdmission(latency_target_ms=250, ceiling=20, capacity=100, floor=30)
    assert floored.slots_at(30) == 100  # a floor above the ceiling: the whole capacity
