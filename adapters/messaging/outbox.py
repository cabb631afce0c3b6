"""Recording domain events in the outbox, inside the caller's transaction."""

import json
import uuid
from contextvars import ContextVar
from typing import Any

from django.db import connection
from django.utils import timezone

from adapters.db_time import to_db
from domain.events import DomainEvent

INSERT_EVENT = (
    "INSERT INTO outbox_event (event_id, event_type, version, aggregate_id, partition_key, "
    "correlation_id, payload, occurred_at) VALUES (%s, %s, 1, %s, %s, %s, %s, %s)"
)

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
    """domain.events.EventLog on the outbox table."""

    def record(self, event: DomainEvent) -> None:
        record_event(
            event_type=event.type,
            aggregate_id=event.aggregate_id,
            schedule_id=event.schedule_id,
            payload=event.payload(),
        )
