"""SIGTERM stops the relay and the consumers cleanly, as real processes: the batch in hand
is finished, nothing is lost and nothing sent twice, and the process exits 0 (a deploy
does not stall the consumer group until its session times out)."""

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import transaction

from adapters.messaging.envelope import events_topic
from adapters.messaging.outbox import record_event
from apps.events.models import OutboxEventRecord
from tests.celery_worker import subprocess_env
from tests.integration.test_outbox_relay import prefix  # noqa: F401
from tests.kafka_reader import read_messages

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.broker]
ROOT = Path(__file__).resolve().parents[2]


def start(*command: str, prefix: str) -> subprocess.Popen[str]:  # noqa: F811
    return subprocess.Popen(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=subprocess_env(KAFKA_TOPIC_PREFIX=prefix),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def add_events(count: int) -> None:
    for n in range(count):
        with transaction.atomic():
            record_event(event_type="reservation.held", aggregate_id=n, schedule_id=1, payload={})


@pytest.fixture
def stopped() -> Iterator[list[subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_relay_stops_between_batches_and_loses_nothing(
    prefix: str,  # noqa: F811
    stopped: list[subprocess.Popen[str]],
) -> None:
    relay = start("relay_outbox", "--batch", "20", prefix=prefix)
    stopped.append(relay)
    add_events(200)
    deadline = time.monotonic() + 60
    while not OutboxEventRecord.objects.filter(published_at__isnull=False).exists():
        assert time.monotonic() < deadline, "the relay published nothing"
        time.sleep(0.05)
    relay.send_signal(signal.SIGTERM)
    output, _ = relay.communicate(timeout=30)
    assert relay.returncode == 0, output
    assert "published" in output

    # What it had not taken yet, another relay publishes; each event reaches Kafka once.
    rest = start("relay_outbox", "--once", prefix=prefix)
    stopped.append(rest)
    rest.communicate(timeout=60)
    assert not OutboxEventRecord.objects.filter(published_at__isnull=True).exists()
    topics = [events_topic(prefix)]
    sent = [m.value() for m in read_messages(topics, 201, timeout=15)]  # one more, if any
    assert len(sent) == 200 and len(set(sent)) == 200


def test_a_consumer_leaves_its_group_on_sigterm(
    prefix: str,  # noqa: F811
    stopped: list[subprocess.Popen[str]],
) -> None:
    # A group of its own: stopped this early, the consumer may leave before its first join
    # completes, and the broker (Tansu) then keeps it as the group's leader for good; in
    # `ticketing.concert` that stopped every later consumer of the group on this broker.
    consumer = start(
        "consume_events", "--group", "concert", "--group-id", f"{prefix}concert", prefix=prefix
    )
    stopped.append(consumer)
    time.sleep(5)  # it joins its group (about 5 s with this broker)
    consumer.send_signal(signal.SIGTERM)
    output, _ = consumer.communicate(timeout=30)
    assert consumer.returncode == 0, output  # before: killed by the signal (-15)
    assert "handled 0 events" in output
