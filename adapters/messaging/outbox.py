"""Recording domain events in the outbox, inside the caller's transaction."""

from typing import Any

from django.db import transaction

from apps.events.models import OutboxEventRecord


def record_event(
    *, event_type: str, aggregate_id: int | str, schedule_id: int, payload: dict[str, Any]
) -> None:
    """Adds the event to the outbox. Must run inside the transaction of the change it
    announces, so that the event exists exactly when the change does."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events are recorded inside the transaction of their change")
    OutboxEventRecord.objects.create(
        event_type=event_type,
        aggregate_id=str(aggregate_id),
        partition_key=str(schedule_id),
        payload=payload,
    )
