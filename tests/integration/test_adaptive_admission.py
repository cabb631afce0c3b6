"""Adaptive admission against the real services: holds slowed by a slow database make the
admission tick lower the rate, and operators see the rate, why it moved and the latency
it steered by."""

import math
import time
from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from adapters.queue.booking_latency import BUCKETS_MS, RedisBookingLatency, bucket_quantile
from adapters.queue.connection import queue_redis
from apps.concert.models import ScheduleRecord
from apps.queue.tasks import admit_waiting_fans
from apps.queue.wiring import booking_latency, clock, waiting_room
from domain.queue.admission import RateReason
from tests.conftest import AdmittedFan, Fan

pytestmark = pytest.mark.django_db(transaction=True)
BOOKERS = 22


@pytest.fixture
def quiet_latency() -> Iterator[RedisBookingLatency]:
    """No booking latency from other tests in the window."""
    recorder = booking_latency()
    recorder.flush()
    for key in queue_redis().scan_iter("booking:latency:*"):
        queue_redis().delete(key)
    yield recorder
    recorder.flush()


def slow_statements(delay: float) -> Callable[..., Any]:
    def execute(run: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        time.sleep(delay)
        return run(sql, params, many, context)

    return execute


def test_a_slow_database_makes_the_tick_lower_the_rate(
    quiet_latency: RedisBookingLatency,
    make_schedule: Callable[..., ScheduleRecord],
    admit: Callable[..., AdmittedFan],
    make_fan: Callable[..., Fan],
    anonymous: APIClient,
) -> None:
    schedule = make_schedule(seats=BOOKERS, max_active=BOOKERS, admit_per_second=50)
    bookers = [admit(schedule) for _ in range(BOOKERS)]  # let in at once, at a fixed 50/s
    seats = list(schedule.seats.order_by("id").values_list("id", flat=True))
    for _ in range(3):  # the room is full: these wait
        assert make_fan().client().post(f"/api/v1/schedules/{schedule.id}/queue").json()[
            "status"
        ] == ("waiting")
    # Now adaptive, from a floor of 5 a second.
    schedule.admit_per_second, schedule.adaptive_admission = 5, True
    schedule.booking_latency_target_ms = 50
    schedule.save()

    # Nobody has booked yet: too little to judge, so the rate may rise.
    admit_waiting_fans()
    stats = waiting_room().stats(schedule_id=schedule.id, now_ms=clock().now_ms())
    assert (stats.admission_rate, stats.rate_reason) == (6, RateReason.IDLE)

    with connection.execute_wrapper(slow_statements(0.02)):
        for booker, seat in zip(bookers, seats, strict=True):
            held = booker.client().post(
                "/api/v1/reservations",
                {"schedule_id": schedule.id, "seat_ids": [seat]},
                format="json",
            )
            assert held.status_code == 201, held.content
    quiet_latency.flush()

    admit_waiting_fans()
    stats = waiting_room().stats(schedule_id=schedule.id, now_ms=clock().now_ms())
    assert stats.rate_reason == RateReason.LOWERED
    assert stats.admission_rate == 5  # down by a third, but never under the floor
    assert stats.steering_p95_ms is not None and stats.steering_p95_ms > 50

    # What operators see: `manage.py queue stats` and /metrics.
    out = StringIO()
    call_command("queue", "stats", str(schedule.id), stdout=out)
    assert f"admission_rate       {stats.admission_rate}" in out.getvalue()
    assert "rate_reason          lowered" in out.getvalue()
    metrics = anonymous.get("/metrics").content.decode()
    assert f'queue_admission_rate{{schedule="{schedule.id}"}} {stats.admission_rate}.0' in metrics
    assert f'queue_admission_reason{{reason="lowered",schedule="{schedule.id}"}} 1.0' in metrics
    # The capacity is sized for the ceiling: at 5 a second, that share of it at once.
    assert stats.slots == math.ceil(BOOKERS * 5 / schedule.admit_ceiling)
    assert f"slots                {stats.slots}" in out.getvalue()
    assert f'queue_slots{{schedule="{schedule.id}"}} {stats.slots}.0' in metrics


def full_with_one_waiting(
    schedule: ScheduleRecord, admit: Callable[..., AdmittedFan], make_fan: Callable[..., Fan]
) -> None:
    """A room of capacity 1: one fan in, one waiting (so there is something to steer)."""
    admit(schedule)
    make_fan().client().post(f"/api/v1/schedules/{schedule.id}/queue")


def test_a_fixed_rate_is_never_steered(
    quiet_latency: RedisBookingLatency,
    make_schedule: Callable[..., ScheduleRecord],
    admit: Callable[..., AdmittedFan],
    make_fan: Callable[..., Fan],
) -> None:
    schedule = make_schedule(max_active=1, admit_per_second=7)
    full_with_one_waiting(schedule, admit, make_fan)
    for _ in range(30):
        quiet_latency.observe(5000)
    quiet_latency.flush()
    admit_waiting_fans()
    stats = waiting_room().stats(schedule_id=schedule.id, now_ms=clock().now_ms())
    assert (stats.admission_rate, stats.rate_reason) == (7, RateReason.FIXED)


def test_turning_adaptive_off_goes_back_to_the_fixed_rate(
    quiet_latency: RedisBookingLatency,
    make_schedule: Callable[..., ScheduleRecord],
    admit: Callable[..., AdmittedFan],
    make_fan: Callable[..., Fan],
) -> None:
    schedule = make_schedule(max_active=1, admit_per_second=7, adaptive_admission=True)
    full_with_one_waiting(schedule, admit, make_fan)
    admit_waiting_fans()  # idle, and already at the floor of 7 (over the capacity of 1)
    stats = waiting_room().stats(schedule_id=schedule.id, now_ms=clock().now_ms())
    assert stats.rate_reason == RateReason.AT_LIMIT and stats.admission_rate == 7

    schedule.adaptive_admission = False
    schedule.save()  # publishes the settings to the waiting room
    stats = waiting_room().stats(schedule_id=schedule.id, now_ms=clock().now_ms())
    assert (stats.admission_rate, stats.rate_reason) == (7, RateReason.FIXED)


def test_latency_counts_from_every_process_merge_into_one_percentile() -> None:
    counts = [0] * len(BUCKETS_MS)
    counts[BUCKETS_MS.index(50)] = 90  # 30-50 ms
    counts[BUCKETS_MS.index(1000)] = 10  # 750-1000 ms
    assert 30 < bucket_quantile(counts, 0.5) <= 50
    assert 750 < bucket_quantile(counts, 0.95) <= 1000
    assert bucket_quantile([0] * len(BUCKETS_MS), 0.95) == 0.0


def test_behind_a_proxy_the_wait_before_the_app_counts(
    quiet_latency: RedisBookingLatency, anonymous: APIClient, settings: Any
) -> None:
    """Under overload a booking waits for a server thread before Django sees it: the
    proxy's stamp of when it got the request makes that wait count."""
    stamp = {"HTTP_X_REQUEST_START": f"t={time.time() - 0.8:.3f}"}
    for _ in range(25):  # any answer counts: here a 401
        anonymous.post("/api/v1/reservations", {}, format="json", **stamp)
    quiet_latency.flush()
    assert quiet_latency.recent(now_s=time.time(), window_seconds=4).p95_ms < 800  # ignored

    settings.BOOKING_LATENCY_START_HEADER = "HTTP_X_REQUEST_START"
    for _ in range(25):
        anonymous.post("/api/v1/reservations", {}, format="json", **stamp)
    for bad in ("t=garbage", f"t={time.time() + 30:.3f}", "t=1"):  # in-app time only
        anonymous.post("/api/v1/reservations", {}, format="json", HTTP_X_REQUEST_START=bad)
    quiet_latency.flush()
    latency = quiet_latency.recent(now_s=time.time(), window_seconds=4)
    assert latency.samples == 53 and latency.p95_ms >= 750
