import logging
import time
from functools import cache
from typing import Any

from celery import shared_task
from django.conf import settings

from adapters.messaging.dead_letters import dead_letter_value, send_to_dead_letters
from adapters.messaging.ordering import ScheduleOrder
from adapters.queue.connection import queue_redis
from apps.events.handlers import HANDLERS, handlers_for

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@cache
def schedule_order() -> ScheduleOrder:
    return ScheduleOrder(queue_redis())


def _wait_countdown(waits: int) -> float:
    """Short at first (the previous event is usually a moment from done), up to a second."""
    return float(min(1.0, 0.05 * 2 ** min(waits, 5)))


@shared_task(bind=True, acks_late=True, max_retries=None, ignore_result=True)
def handle_event(
    self: Any,
    group: str,
    topic: str,
    envelope: dict[str, Any],
    failures: int = 0,
    waiting_since: float | None = None,
    in_order: bool = True,
) -> None:
    """Runs the group's handlers for one event, after the schedule's previous event
    (adapters/messaging/ordering.py). acks_late: a worker that dies mid-task leaves the task
    to run again, and the handlers are idempotent. After MAX_ATTEMPTS failures the event goes
    to `<topic>.dlq` with the error and no longer holds up the schedule's later events.
    `in_order=False` skips the wait (a test or a one-off call with the event in hand)."""
    sequence = envelope.get("sequence")
    schedule_id = (envelope.get("payload") or {}).get("schedule_id")
    ordered = in_order and sequence is not None and schedule_id is not None
    schedule, position = int(schedule_id or 0), int(sequence or 0)
    retry_kwargs = {"failures": failures, "waiting_since": waiting_since, "in_order": in_order}
    if ordered and not schedule_order().its_turn(
        schedule_id=schedule, group=group, sequence=position, event_types=HANDLERS[group]
    ):
        since = waiting_since or time.time()
        if time.time() - since < settings.EVENT_ORDER_WAIT_SECONDS:
            raise self.retry(
                kwargs={**retry_kwargs, "waiting_since": since},
                countdown=_wait_countdown(self.request.retries),
            )
        # The previous event never came (for example a broker that lost its data): going on
        # is better than holding the schedule's effects back for good.
        logger.warning(
            "event %s: schedule %s's previous event missing after %ss; handling it anyway",
            envelope.get("event_id"),
            schedule_id,
            settings.EVENT_ORDER_WAIT_SECONDS,
        )
    try:
        for handler in handlers_for(group, envelope["type"]):
            handler(envelope)
    except Exception as exc:
        if failures + 1 < MAX_ATTEMPTS:
            raise self.retry(
                exc=exc,
                kwargs={**retry_kwargs, "failures": failures + 1},
                countdown=min(30, 2**failures),
            ) from exc
        logger.error("event %s to the dead letters: %r", envelope.get("event_id"), exc)
        send_to_dead_letters(
            bootstrap=settings.KAFKA_BOOTSTRAP_SERVERS,
            topic=topic,
            value=dead_letter_value(envelope),
            error=repr(exc),
        )
    if ordered:
        schedule_order().mark_handled(schedule_id=schedule, group=group, sequence=position)
