"""The outbox relay against the real Kafka-protocol broker (Tansu, started by
scripts/services)."""

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import override_settings

from adapters.messaging.envelope import events_topic
from adapters.messaging.outbox import record_event
from adapters.messaging.relay import DeliveryFailed, OutboxRelay, ensure_topics
from apps.concert.models import ScheduleRecord
from apps.events.models import OutboxEventRecord
from apps.reservation.wiring import hold_seats
from tests.conftest import Fan, fund
from tests.kafka_reader import read_messages
from tests.purchases import pay_held

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.broker]


@pytest.fixture
def prefix() -> Iterator[str]:
    """Topics of their own for each test: the broker outlives the test."""
    name = f"t{uuid.uuid4().hex[:8]}."
    with override_settings(KAFKA_TOPIC_PREFIX=name):
        ensure_topics(settings.KAFKA_BOOTSTRAP_SERVERS, prefix=name, partitions=3)
        yield name


def consume(prefix: str, count: int, *, bootstrap: str | None = None) -> list[Any]:
    """The first `count` events that reached the events topic of this prefix."""
    return read_messages([events_topic(prefix)], count, bootstrap=bootstrap)


def relay(prefix: str, **options: Any) -> OutboxRelay:
    return OutboxRelay(bootstrap=settings.KAFKA_BOOTSTRAP_SERVERS, topic_prefix=prefix, **options)


def test_a_sale_reaches_the_broker_once_with_its_envelope(
    prefix: str, make_schedule: Callable[..., ScheduleRecord], fan: Fan
) -> None:
    schedule = make_schedule(seats=2)
    fund(fan.id, 10_000)
    held = hold_seats()(
        user_id=fan.id,
        schedule_id=schedule.id,
        seat_ids=list(schedule.seats.values_list("id", flat=True)),
    )
    pay_held(user_id=fan.id, reservation_id=held.id, schedule_id=schedule.id)
    rows = list(OutboxEventRecord.objects.order_by("id"))
    assert [r.event_type for r in rows] == ["reservation.held", "payment.succeeded"]

    assert relay(prefix).run(stop_after_idle=0.3) == 2
    assert not OutboxEventRecord.objects.filter(published_at__isnull=True).exists()
    assert relay(prefix).run(stop_after_idle=0.3) == 0  # nothing twice

    messages = consume(prefix, 2)
    envelopes = sorted((json.loads(m.value()) for m in messages), key=lambda e: e["type"])
    assert [e["type"] for e in envelopes] == ["payment.succeeded", "reservation.held"]
    assert {m.key().decode() for m in messages} == {str(schedule.id)}
    paid = envelopes[0]
    assert paid["event_id"] == str(rows[1].event_id)
    assert paid["payload"]["reservation_id"] == held.id and paid["version"] == 1
    assert {"occurred_at", "aggregate_id", "correlation_id"} <= paid.keys()


def add_events(count: int, schedule_id: int = 1) -> None:
    with transaction.atomic():
        for n in range(count):
            record_event(
                event_type="reservation.held",
                aggregate_id=n,
                schedule_id=schedule_id,
                payload={"n": n},
            )


def test_with_the_broker_down_nothing_is_marked_and_it_drains_later(prefix: str) -> None:
    add_events(5)
    down = OutboxRelay(bootstrap="127.0.0.1:1", topic_prefix=prefix, flush_seconds=1.0)
    with pytest.raises(DeliveryFailed):
        down.publish_batch()
    assert OutboxEventRecord.objects.filter(published_at__isnull=True).count() == 5
    assert relay(prefix).run(stop_after_idle=0.3) == 5
    assert len(consume(prefix, 5)) == 5


def test_two_relays_at_once_publish_each_row_once(prefix: str) -> None:
    add_events(60)
    counts: list[int] = []

    def work() -> None:
        try:
            counts.append(relay(prefix, batch=7).run(stop_after_idle=0.5))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 60
    assert not OutboxEventRecord.objects.filter(published_at__isnull=True).exists()


def test_metrics_show_the_backlog_and_its_age(prefix: str) -> None:
    from rest_framework.test import APIClient

    add_events(3)
    text = APIClient().get("/metrics").content.decode()
    assert "outbox_backlog 3.0" in text
    assert "outbox_oldest_unpublished_seconds" in text
    relay(prefix).run(stop_after_idle=0.3)
    text = APIClient().get("/metrics").content.decode()
    assert "outbox_backlog 0.0" in text
    assert "outbox_published_per_second 0.05" in text  # 3 in the last minute
