"""The relay is SIGKILLed while it publishes a backlog, most likely between the broker's
acknowledgement and marking the rows: those rows go again when a relay starts. Every event
reaches the broker, and a repeated event has its effect once."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from django.db import transaction

from adapters.concert.ranking import TICKETS_KEY
from adapters.messaging.envelope import events_topic
from adapters.messaging.outbox import record_event
from apps.concert.models import ScheduleRecord
from apps.events.handlers import ranking
from apps.events.models import OutboxEventRecord
from apps.events.tasks import handle_event
from tests.celery_worker import subprocess_env
from tests.integration.test_outbox_relay import prefix  # noqa: F401  (fixture)
from tests.kafka_reader import read_messages
from tests.wiring import forget_wired_clients

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.broker, pytest.mark.faults]
EVENTS = 1500
BATCH = 250


def start_relay() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "manage.py", "relay_outbox"],
        env=subprocess_env(OUTBOX_RELAY_BATCH=str(BATCH)),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_relay_killed_mid_batch_loses_nothing_and_doubles_no_effect(
    prefix: str,  # noqa: F811
    make_schedule: Callable[..., ScheduleRecord],
) -> None:
    forget_wired_clients()
    ranking().client.delete(TICKETS_KEY)
    schedule = make_schedule(seats=1)
    seat = schedule.seats.get().id
    with transaction.atomic():
        for n in range(EVENTS):
            record_event(
                event_type="payment.succeeded",
                aggregate_id=n,
                schedule_id=schedule.id,
                payload={"payment_id": n, "schedule_id": schedule.id, "seat_ids": [seat]},
            )
    unpublished = OutboxEventRecord.objects.filter(published_at__isnull=True)

    first = start_relay()
    while unpublished.count() == EVENTS:  # until it has marked a first batch
        time.sleep(0.01)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(10)
    left = unpublished.count()
    assert 0 < left < EVENTS, "the kill came before or after the work; nothing was proven"

    second = start_relay()
    while unpublished.exists():
        time.sleep(0.05)
    os.killpg(second.pid, signal.SIGTERM)
    second.wait(20)

    topics = [events_topic(prefix)]
    # At least once: at most one batch published by the first relay and not marked.
    messages = read_messages(topics, EVENTS + BATCH, timeout=8)
    envelopes = [json.loads(m.value()) for m in messages]
    ids = {e["event_id"] for e in envelopes}
    assert ids == {str(i) for i in OutboxEventRecord.objects.values_list("event_id", flat=True)}
    for envelope in envelopes:  # duplicates included
        handle_event.apply(args=["concert", envelope["type"], envelope])
    assert ranking().client.zscore(TICKETS_KEY, schedule.concert_id) == EVENTS
