"""Real Celery worker processes: the events of one schedule take effect in order however
many workers run them, and a worker SIGKILLed in the middle of a task leaves the task to run
again, with its effect once."""

import json
import time
import uuid
from collections.abc import Callable, Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from adapters.user.orm import create_funded_fans
from apps.concert.models import ScheduleRecord
from apps.events.models import OutboxEventRecord
from apps.events.tasks import dispatch_events
from apps.payment.management.commands.reconcile import find_violations
from apps.payment.models import PaymentRecord
from apps.reservation.wiring import hold_seats
from apps.user.models import LedgerEntryRecord
from tests.celery_worker import CeleryWorker, empty_celery_queues
from tests.data_platform import running_platform
from tests.integration.test_outbox_relay import prefix, relay  # noqa: F401  (fixture)
from tests.purchases import pay_held

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.broker]


def wait_until(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not {what} after {seconds} s")
        time.sleep(0.02)


@pytest.fixture
def workers() -> Iterator[list[CeleryWorker]]:
    empty_celery_queues()
    started: list[CeleryWorker] = []
    yield started
    for worker in started:
        worker.stop()
    empty_celery_queues()


def sell_one_seat_each(schedule: ScheduleRecord) -> list[int]:
    seats = list(schedule.seats.order_by("id").values_list("id", flat=True))
    names = [f"buyer-{uuid.uuid4().hex[:10]}" for _ in seats]
    fans = create_funded_fans(usernames=names, password_hash="!", points=1_000_000)
    for user_id, seat_id in zip(fans, seats, strict=True):
        held = hold_seats()(user_id=user_id, schedule_id=schedule.id, seat_ids=[seat_id])
        pay_held(user_id=user_id, reservation_id=held.id, schedule_id=schedule.id)
    return fans


def test_a_schedules_sales_reach_the_data_platform_in_order_with_four_workers(
    prefix: str,  # noqa: F811
    make_schedule: Callable[..., ScheduleRecord],
    workers: list[CeleryWorker],
) -> None:
    schedule = make_schedule(seats=30)
    sell_one_seat_each(schedule)
    assert relay(prefix).run(stop_after_idle=0.3) == 60  # held and succeeded per seat

    # Random pauses per request shake up which worker finishes first; the fifth delivery
    # fails once, and its retry a second later must still come before the sixth.
    with running_platform(max_delay=0.03) as (platform, url):
        platform.answers = [200, 200, 200, 200, 503]
        for _ in range(2):  # two worker processes of two pool processes each
            worker = CeleryWorker(concurrency=2, DATA_PLATFORM_URL=url, DATA_PLATFORM_SECRET="s")
            workers.append(worker.start())
        call_command("consume_events", "--group", "export", "--stop-after-idle", "8")
        wait_until(lambda: len(platform.accepted) >= 30, seconds=90, what="all exported")

    sequences = [event["sequence"] for event in platform.accepted]
    assert len(set(sequences)) == 30
    assert sequences == sorted(sequences)
    assert len(platform.calls) == 31  # the one failure, retried once


@pytest.mark.faults
def test_a_worker_killed_mid_saga_leaves_the_task_to_run_again_and_refunds_once(
    make_schedule: Callable[..., ScheduleRecord], workers: list[CeleryWorker]
) -> None:
    schedule = make_schedule(seats=300)
    fans = sell_one_seat_each(schedule)
    call_command("cancel_schedule", str(schedule.id), stdout=StringIO())
    row = OutboxEventRecord.objects.get(event_type="schedule.cancelled")
    event = {
        "event_id": str(row.event_id),
        "sequence": row.id,
        "type": row.event_type,
        "version": row.version,
        "occurred_at": row.occurred_at.isoformat(),
        "aggregate_id": row.aggregate_id,
        "correlation_id": "",
        "payload": json.loads(row.payload) if isinstance(row.payload, str) else row.payload,
    }
    dispatch_events("reservation", [("schedule.cancelled", event)])

    def refunded() -> int:
        return PaymentRecord.objects.filter(user_id__in=fans, status="refunded").count()

    # A task taken by a worker that died goes back to the queue after the visibility timeout.
    first = CeleryWorker(concurrency=1, CELERY_VISIBILITY_TIMEOUT="3")
    workers.append(first.start())
    wait_until(lambda: refunded() >= 20, seconds=60, what="refunding")
    first.kill()
    assert refunded() < 300, "the saga ended before the kill; the test proves nothing"

    workers.append(CeleryWorker(concurrency=1, CELERY_VISIBILITY_TIMEOUT="3").start())
    wait_until(lambda: refunded() == 300, seconds=90, what="all refunded")

    refunds = (
        LedgerEntryRecord.objects.filter(user_id__in=fans, kind="refund")
        .values("user_id")
        .annotate(n=Count("id"))
    )
    assert sorted(r["n"] for r in refunds) == [1] * 300
    assert OutboxEventRecord.objects.filter(event_type="payment.refunded").count() == 300
    assert find_violations() == []
