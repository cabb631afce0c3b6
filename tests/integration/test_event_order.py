"""The order gate of one schedule's events (adapters/messaging/ordering.py)."""

import pytest
from django.db import transaction

from adapters.messaging.outbox import record_event
from adapters.queue.connection import queue_redis
from apps.events.models import OutboxEventRecord
from apps.events.tasks import schedule_order

pytestmark = pytest.mark.django_db(transaction=True)


def add(event_type: str, schedule_id: int) -> int:
    with transaction.atomic():
        record_event(event_type=event_type, aggregate_id=1, schedule_id=schedule_id, payload={})
    return OutboxEventRecord.objects.latest("id").id


def test_an_event_waits_for_the_previous_one_of_its_schedule_and_types() -> None:
    queue_redis.cache_clear()
    schedule_order.cache_clear()
    order = schedule_order()
    paid_1 = add("payment.succeeded", 7)
    add("reservation.held", 7)  # a type the group does not handle: no one waits for it
    add("payment.succeeded", 8)  # another schedule: no one waits for it
    paid_2 = add("payment.succeeded", 7)
    turn = {"schedule_id": 7, "group": "export", "event_types": ["payment.succeeded"]}

    assert order.its_turn(**turn, sequence=paid_1)
    assert not order.its_turn(**turn, sequence=paid_2)
    order.mark_handled(schedule_id=7, group="export", sequence=paid_1)
    assert order.its_turn(**turn, sequence=paid_2)
    assert not order.its_turn(**{**turn, "group": "concert"}, sequence=paid_2)  # per group

    order.mark_handled(schedule_id=7, group="export", sequence=paid_2)
    order.mark_handled(schedule_id=7, group="export", sequence=paid_1)  # a late duplicate
    assert order.handled_up_to(schedule_id=7, group="export") == paid_2
