"""A schedule's mailbox of events (adapters/messaging/ordering.py) and the one events topic
that keeps a schedule's events in commit order (adapters/messaging/relay.py)."""

import json
from collections.abc import Callable

import pytest
from django.db import transaction

from adapters.messaging.envelope import events_topic
from adapters.messaging.ordering import post_events
from adapters.messaging.outbox import record_event
from adapters.queue.connection import queue_redis
from apps.concert.models import ScheduleRecord
from apps.events.models import OutboxEventRecord
from apps.events.tasks import dispatch_events, mailbox
from tests.integration.test_outbox_relay import prefix, relay  # noqa: F401  (fixture)
from tests.kafka_reader import read_messages

pytestmark = pytest.mark.django_db(transaction=True)


def add(event_type: str, schedule_id: int) -> dict[str, object]:
    with transaction.atomic():
        record_event(event_type=event_type, aggregate_id=1, schedule_id=schedule_id, payload={})
    row = OutboxEventRecord.objects.latest("id")
    return {"sequence": row.id, "type": event_type, "payload": {"schedule_id": schedule_id}}


def test_the_mailbox_gives_events_back_in_sequence_order_to_one_drain() -> None:
    queue_redis.cache_clear()
    box = mailbox("export", 7)
    paid_1, paid_2 = add("payment.succeeded", 7), add("payment.succeeded", 7)

    # Posted out of order (from different fetches): the mailbox gives them back in order.
    assert box.post(topic="p", envelope=paid_2) is True  # the caller starts a drain
    assert box.post(topic="p", envelope=paid_1) is False  # one drain at a time
    assert [e.sequence for e in box.next_events(10)] == [paid_1["sequence"], paid_2["sequence"]]
    assert mailbox("concert", 7).next_events(10) == []  # per group

    assert box.failed(paid_1["sequence"]) == 1 and box.failed(paid_1["sequence"]) == 2
    box.done(paid_1["sequence"])
    assert box.failed(paid_1["sequence"]) == 1  # a redelivery starts counting again
    box.done(paid_1["sequence"])
    box.done(paid_2["sequence"])
    assert box.next_events(10) == []
    assert box.release() is False  # nothing came in: no new drain needed


def test_an_event_posted_while_the_drain_lets_go_gets_a_drain() -> None:
    queue_redis.cache_clear()
    box = mailbox("export", 9)
    assert box.post(topic="p", envelope=add("payment.succeeded", 9)) is True
    assert box.post(topic="p", envelope=add("payment.succeeded", 9)) is False
    assert box.release() is True  # events are waiting: the caller must start a new drain


def test_a_consumed_batch_goes_to_its_mailboxes_in_one_round_trip() -> None:
    queue_redis.cache_clear()
    first, second = mailbox("export", 11), mailbox("export", 12)
    a1, b1, a2 = (add("payment.succeeded", s) for s in (11, 12, 11))
    a3 = add("payment.succeeded", 11)

    started = post_events(queue_redis(), [(first, "p", a2), (second, "p", b1), (first, "p", a1)])
    assert [box.schedule_id for box in started] == [11, 12]  # one drain each, none twice
    assert post_events(queue_redis(), [(first, "p", a3)]) == []  # a drain holds it already
    batch = [e.sequence for e in first.next_events(10)]
    assert batch == [a1["sequence"], a2["sequence"], a3["sequence"]]


def test_a_group_posts_only_the_types_it_reacts_to() -> None:
    queue_redis.cache_clear()
    held, paid = add("reservation.held", 13), add("payment.succeeded", 13)
    for envelope in (held, paid):
        envelope.update(event_id=f"e{envelope['sequence']}", correlation_id="")
    box = mailbox("export", 13)
    box.redis.set(box.claim, 1)  # a drain holds it: nothing runs, the post stays to be seen
    dispatch_events("export", [("events", held), ("events", paid)])
    assert [e.sequence for e in box.next_events(10)] == [paid["sequence"]]


@pytest.mark.broker
def test_a_schedules_events_reach_one_partition_in_commit_order(
    prefix: str,  # noqa: F811
    make_schedule: Callable[..., ScheduleRecord],
) -> None:
    """Every type on one topic, keyed by schedule: a consumer reads a schedule's events in
    the order they were committed, so nothing has to wait for an event from elsewhere."""
    schedules = [make_schedule(seats=1).id for _ in range(3)]
    types = ("reservation.held", "payment.succeeded", "reservation.cancelled", "payment.refunded")
    committed = [add(types[n % 4], schedules[n % 3])["sequence"] for n in range(24)]
    assert relay(prefix).run(stop_after_idle=0.3) == 24

    messages = read_messages([events_topic(prefix)], 24)
    by_schedule: dict[int, list[tuple[int, int]]] = {}
    for message in messages:
        envelope = json.loads(message.value())
        schedule_id = int(message.key())
        by_schedule.setdefault(schedule_id, []).append((message.partition(), envelope["sequence"]))
    assert sorted(by_schedule) == sorted(schedules)
    for schedule_id, seen in by_schedule.items():
        assert len({partition for partition, _ in seen}) == 1  # one partition per schedule
        mine = [s for n, s in enumerate(committed) if schedules[n % 3] == schedule_id]
        assert [sequence for _, sequence in seen] == mine  # every type, in commit order
