"""A schedule's mailbox of events (adapters/messaging/ordering.py)."""

import pytest
from django.db import transaction

from adapters.messaging.ordering import post_events
from adapters.messaging.outbox import record_event
from adapters.queue.connection import queue_redis
from apps.events.models import OutboxEventRecord
from apps.events.tasks import mailbox

pytestmark = pytest.mark.django_db(transaction=True)


def add(event_type: str, schedule_id: int) -> dict[str, object]:
    with transaction.atomic():
        record_event(event_type=event_type, aggregate_id=1, schedule_id=schedule_id, payload={})
    row = OutboxEventRecord.objects.latest("id")
    return {"sequence": row.id, "type": event_type, "payload": {"schedule_id": schedule_id}}


def test_events_wait_for_the_previous_one_of_their_schedule_and_types() -> None:
    queue_redis.cache_clear()
    box = mailbox("export", 7)
    types = ["payment.succeeded"]
    paid_1 = add("payment.succeeded", 7)
    add("reservation.held", 7)  # a type the group does not handle: no one waits for it
    add("payment.succeeded", 8)  # another schedule: no one waits for it
    paid_2 = add("payment.succeeded", 7)

    # Posted out of order (from different fetches): the mailbox gives them back in order.
    assert box.post(topic="p", envelope=paid_2) is True  # the caller starts a drain
    assert box.post(topic="p", envelope=paid_1) is False  # one drain at a time
    assert [e.sequence for e in box.next_events(10)] == [paid_1["sequence"], paid_2["sequence"]]

    assert box.its_turn(paid_1["sequence"], types)
    assert not box.its_turn(paid_2["sequence"], types)
    box.done(paid_1["sequence"])
    assert box.its_turn(paid_2["sequence"], types)
    assert not mailbox("concert", 7).its_turn(paid_2["sequence"], types)  # per group

    box.done(paid_2["sequence"])
    box.done(paid_1["sequence"])  # a late duplicate does not lower the mark
    assert box.handled_up_to() == paid_2["sequence"]
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
    add("reservation.held", 11)  # not the group's type
    a3 = add("payment.succeeded", 11)

    started = post_events(queue_redis(), [(first, "p", a2), (second, "p", b1), (first, "p", a1)])
    assert [box.schedule_id for box in started] == [11, 12]  # one drain each, none twice
    assert post_events(queue_redis(), [(first, "p", a3)]) == []  # a drain holds it already

    batch = [e.sequence for e in first.next_events(10)]
    assert batch == [a1["sequence"], a2["sequence"], a3["sequence"]]
    # Each event's previous one of the types, for the whole batch from one query.
    assert first.previous_sequences(batch, ["payment.succeeded"]) == [None, *batch[:2]]
    assert second.previous_sequences([b1["sequence"]], ["payment.succeeded"]) == [None]
