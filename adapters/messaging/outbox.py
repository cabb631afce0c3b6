"""Recording domain events in the outbox, inside the caller's transaction."""

import json
import logging
import uuid
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from adapters.db_time import to_db
from domain.events import DomainEvent

INSERT_EVENT = (
    "INSERT INTO outbox_event (event_id, event_type, version, aggregate_id, partition_key, "
    "correlation_id, payload, occurred_at) VALUES (%s, %s, 1, %s, %s, %s, %s, %s)"
)

logger = logging.getLogger(__name__)

# The request (or job) that caused the events: set by apps.ops.correlation for each request.
correlation_id: ContextVar[str] = ContextVar("correlation_id", default="")


def record_event(
    *, event_type: str, aggregate_id: int | str, schedule_id: int, payload: dict[str, Any]
) -> None:
    """Adds the event to the outbox. Must run inside the transaction of the change it
    announces, so that the event exists exactly when the change does. One INSERT: this
    runs in every hold and payment."""
    if not connection.in_atomic_block:
        raise RuntimeError("events are recorded inside the transaction of their change")
    with connection.cursor() as cursor:
        cursor.execute(
            INSERT_EVENT,
            [
                uuid.uuid4().hex,
                event_type,
                str(aggregate_id),
                str(schedule_id),
                correlation_id.get(),
                json.dumps(payload, default=str),
                to_db(timezone.now()),
            ],
        )


class OutboxEventLog:
    """domain.events.EventLog on the outbox table. The `after_commit` reactions run in this
    process once the transaction has committed (none if it rolls back), for what fans must
    see at once; everything else reacts through the relay and the consumers. A reaction that
    fails is logged and the others still run: the change has committed by then."""

    def __init__(self, after_commit: Sequence[Callable[[DomainEvent], None]] = ()) -> None:
        self.after_commit = tuple(after_commit)

    def record(self, event: DomainEvent) -> None:
        record_event(
            event_type=event.type,
            aggregate_id=event.aggregate_id,
            schedule_id=event.schedule_id,
            payload=event.payload(),
        )
        for react in self.after_commit:
            transaction.on_commit(partial(_react, react, event))


def _react(react: Callable[[DomainEvent], None], event: DomainEvent) -> None:
    try:
        react(event)
    except Exception:
        logger.exception("%s after %s %s failed", react, event.type, event.aggregate_id)
