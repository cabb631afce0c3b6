"""From a sale to its effects: relay → broker → consumer → handlers, on the real broker,
MariaDB and Redis. Celery runs the tasks in this process (task.apply), so the test sees
their effects; the worker's own delivery guarantees are Celery's."""

import json
import uuid
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from confluent_kafka import Producer
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from adapters.concert.ranking import SOLD_OUT_KEY, TICKETS_KEY
from adapters.messaging.consumer import EventConsumer
from adapters.messaging.envelope import events_topic
from adapters.queue.connection import queue_redis
from apps.concert import catalog
from apps.concert.models import ScheduleRecord
from apps.events.handlers import HANDLERS, ranking
from apps.events.tasks import handle_event
from apps.reservation.wiring import hold_seats
from tests.conftest import Fan, fund
from tests.integration.test_outbox_relay import prefix, relay  # noqa: F401  (fixture)
from tests.kafka_reader import first_message
from tests.purchases import pay_held

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.broker]


@pytest.fixture(autouse=True)
def _empty_ranking() -> None:
    queue_redis.cache_clear()
    ranking.cache_clear()
    ranking().client.delete(TICKETS_KEY, SOLD_OUT_KEY)


def consumer(prefix: str, seen: list[tuple[str, dict[str, Any]]]) -> EventConsumer:  # noqa: F811
    def dispatch(events: list[tuple[str, dict[str, Any]]]) -> None:
        for topic, envelope in events:
            if envelope["type"] in HANDLERS["concert"]:  # as dispatch_events picks them
                seen.append((topic, envelope))
                handle_event.apply(args=["concert", topic, envelope])

    return EventConsumer(
        bootstrap=settings.KAFKA_BOOTSTRAP_SERVERS,
        group=f"test-{uuid.uuid4().hex[:6]}",
        topics=[events_topic(prefix)],
        dispatch=dispatch,
    )


def test_a_sell_out_reaches_the_ranking_once(
    prefix: str,  # noqa: F811
    make_schedule: Callable[..., ScheduleRecord],
    make_fan: Callable[..., Fan],
) -> None:
    schedule = make_schedule(seats=4)
    seats = list(schedule.seats.order_by("id").values_list("id", flat=True))
    for pair in (seats[:2], seats[2:]):
        fan = make_fan()
        fund(fan.id, 10_000)
        held = hold_seats()(user_id=fan.id, schedule_id=schedule.id, seat_ids=pair)
        pay_held(user_id=fan.id, reservation_id=held.id, schedule_id=schedule.id)
    assert relay(prefix).run(stop_after_idle=0.3) == 4

    seen: list[tuple[str, dict[str, Any]]] = []
    consumer(prefix, seen).run(max_messages=4)  # two holds, the group's two payments
    assert [e["type"] for _, e in seen] == ["payment.succeeded"] * 2
    [(concert, tickets, sold_out)] = ranking().top(10)
    assert (concert, tickets) == (schedule.concert_id, 4)
    assert sold_out is not None and sold_out >= 0

    # The same events delivered again change nothing.
    for topic, envelope in seen:
        handle_event.apply(args=["concert", topic, envelope])
    assert ranking().top(10)[0][1] == 4

    body = APIClient().get("/api/v1/concerts/ranking?limit=5").json()
    assert body["results"][0]["concert_id"] == schedule.concert_id
    assert body["results"][0]["tickets_sold"] == 4
    assert b'"status":"sold"' in catalog.seat_map_json(schedule.id)


def test_a_poison_message_goes_to_the_dead_letters_and_the_consumer_goes_on(
    prefix: str,  # noqa: F811
    make_schedule: Callable[..., ScheduleRecord],
) -> None:
    schedule = make_schedule(seats=1)
    topic = events_topic(prefix)
    producer = Producer({"bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS})
    producer.produce(topic, key=b"1", value=b"{not an event")
    good = {
        "event_id": str(uuid.uuid4()),
        "type": "payment.refunded",
        "version": 1,
        "occurred_at": "2026-11-22T00:00:00+00:00",
        "aggregate_id": "1",
        "correlation_id": "",
        "payload": {"schedule_id": schedule.id, "seat_ids": []},
    }
    producer.produce(topic, key=b"1", value=json.dumps(good).encode())
    producer.flush(10)

    seen: list[tuple[str, dict[str, Any]]] = []
    assert consumer(prefix, seen).run(max_messages=2) == 2
    assert [e["event_id"] for _, e in seen] == [good["event_id"]]

    message = first_message(f"{topic}.dlq")
    assert message is not None and message.value() == b"{not an event"
    assert dict(message.headers())["error"]

    listed = StringIO()
    call_command("dlq", "list", stdout=listed)
    assert "{not an event" in listed.getvalue() and "1 dead letters" in listed.getvalue()
    only_refunds = StringIO()
    call_command("dlq", "list", "--type", "payment.refunded", stdout=only_refunds)
    assert "0 dead letters" in only_refunds.getvalue()  # a poison message has no type
    replayed = StringIO()
    call_command("dlq", "replay", stdout=replayed)
    assert "replayed 1 dead letters" in replayed.getvalue()
    again = StringIO()
    call_command("dlq", "replay", stdout=again)
    assert "replayed 0 dead letters" in again.getvalue()  # it remembers how far it got


def test_an_event_that_keeps_failing_ends_in_the_dead_letters(
    prefix: str,  # noqa: F811
) -> None:
    broken = {
        "event_id": str(uuid.uuid4()),
        "type": "payment.succeeded",
        "version": 1,
        "occurred_at": "2026-11-22T00:00:00+00:00",
        "aggregate_id": "1",
        "correlation_id": "",
        "payload": {"schedule_id": 987654321, "seat_ids": [1]},
    }
    topic = events_topic(prefix)
    result = handle_event.apply(args=["concert", topic, broken])
    assert result.successful()  # retried, then parked in the DLQ; the consumer is not blocked
    message = first_message(f"{topic}.dlq")
    assert message is not None
    assert json.loads(message.value())["event_id"] == broken["event_id"]
    assert b"unknown schedule" in dict(message.headers())["error"]
    # Never silent: every app server's /metrics counts it.
    metrics = Client().get("/metrics").content.decode()
    assert f'events_dead_lettered_total{{topic="{topic}"}} 1.0' in metrics
