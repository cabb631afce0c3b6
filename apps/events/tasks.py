"""Celery tasks that run the handlers of domain events (docs/EVENTS.md).

Events with a `sequence` (everything the relay publishes) go through their schedule's
mailbox and are handled in order; events without one (written by hand) run on their own."""

import logging
import time
from datetime import datetime
from typing import Any

from celery import shared_task
from django.conf import settings

from adapters.messaging.dead_letters import dead_letter_value, send_to_dead_letters
from adapters.messaging.ordering import ScheduleMailbox, post_events
from adapters.messaging.outbox import correlation_id
from adapters.queue.connection import queue_redis
from adapters.tracing import span
from apps.events.handlers import handlers_for
from apps.events.metrics import EVENT_LAG_SECONDS, count_dead_letter

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A drain hands its mailbox over after this long, so other schedules get the workers too.
DRAIN_BUDGET_SECONDS = 2.0


def mailbox(group: str, schedule_id: int) -> ScheduleMailbox:
    # The claim outlives a worker that died holding it by the time Celery takes the task
    # back (the visibility timeout); then the task itself goes on draining.
    claim = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] + 60
    return ScheduleMailbox(queue_redis(), group=group, schedule_id=schedule_id, claim_seconds=claim)


def dispatch_events(group: str, events: list[tuple[str, dict[str, Any]]]) -> None:
    """What the consumer does with each batch of (topic, event). Returns once every event is
    in Redis (the Celery broker's durability), so the consumer may commit its offsets. The
    events with a schedule go to their mailboxes in one round trip; the types the group does
    not react to go nowhere."""
    posts = []
    for topic, envelope in events:
        if not handlers_for(group, envelope["type"]):
            continue
        schedule_id = (envelope.get("payload") or {}).get("schedule_id")
        request_id = str(envelope.get("correlation_id") or "")
        with span(f"consume {envelope['type']}", request_id=request_id, group=group):
            if envelope.get("sequence") is None or schedule_id is None:
                handle_event.apply_async(args=[group, topic, envelope])
            else:
                posts.append((mailbox(group, int(schedule_id)), topic, envelope))
    for box in post_events(queue_redis(), posts):
        drain_schedule_events.apply_async(args=[group, box.schedule_id])


def _run_handlers(group: str, envelope: dict[str, Any]) -> None:
    # The request that caused the event, on the handlers' log lines and their own events.
    token = correlation_id.set(str(envelope.get("correlation_id") or ""))
    try:
        with span(f"handle {envelope['type']}", group=group, event_id=envelope["event_id"]):
            for handler in handlers_for(group, envelope["type"]):
                handler(envelope)
    finally:
        correlation_id.reset(token)
    occurred = datetime.fromisoformat(envelope["occurred_at"]).timestamp()
    EVENT_LAG_SECONDS.labels(group).observe(max(0.0, time.time() - occurred))


def _dead_letter(topic: str, envelope: dict[str, Any], exc: Exception) -> None:
    logger.error("event %s to the dead letters: %r", envelope.get("event_id"), exc)
    send_to_dead_letters(
        bootstrap=settings.KAFKA_BOOTSTRAP_SERVERS,
        topic=topic,
        value=dead_letter_value(envelope),
        error=repr(exc),
    )
    count_dead_letter(topic)


@shared_task(acks_late=True, ignore_result=True)
def drain_schedule_events(group: str, schedule_id: int) -> None:
    """Handles a schedule's waiting events in sequence order. One drain per mailbox holds
    its claim: it either hands over to a new drain task (budget spent, or retrying a failure
    with backoff) or releases the claim.

    acks_late: a worker that dies mid-drain leaves the task to run again; the event it was
    handling is still in the mailbox, and the handlers are idempotent. After MAX_ATTEMPTS
    failures an event goes to `<topic>.dlq` with the error, and the rest goes on."""
    box = mailbox(group, schedule_id)
    started = time.monotonic()
    while time.monotonic() - started < DRAIN_BUDGET_SECONDS:
        batch = box.next_events(50)
        if not batch:
            if box.release():
                drain_schedule_events.apply_async(args=[group, schedule_id])
            return
        for event in batch:
            try:
                _run_handlers(group, event.envelope)
            except Exception as exc:
                attempts = box.failed(event.sequence)
                if attempts < MAX_ATTEMPTS:
                    logger.warning("event %s failed (%d): %r", event.sequence, attempts, exc)
                    drain_schedule_events.apply_async(
                        args=[group, schedule_id], countdown=min(30, 2 ** (attempts - 1))
                    )
                    return
                _dead_letter(event.topic, event.envelope, exc)
            box.done(event.sequence)
    drain_schedule_events.apply_async(args=[group, schedule_id])


@shared_task(bind=True, acks_late=True, max_retries=MAX_ATTEMPTS - 1, ignore_result=True)
def handle_event(self: Any, group: str, topic: str, envelope: dict[str, Any]) -> None:
    """Runs the group's handlers for one event outside any order (an event without a
    sequence). Retried with backoff; after MAX_ATTEMPTS failures, to `<topic>.dlq`."""
    try:
        _run_handlers(group, envelope)
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            _dead_letter(topic, envelope, exc)
            return
        raise self.retry(exc=exc, countdown=min(30, 2**self.request.retries)) from exc
