"""The event envelope on the wire (docs/EVENTS.md): JSON, one per Kafka message."""

import json
from datetime import datetime
from typing import Any

from adapters.db_time import from_db

# Every domain event goes to one topic (with the configured prefix in front), keyed by its
# schedule id: a schedule's events share one partition, so a consumer reads them in the order
# the relay published them, which is the order they were committed (docs/EVENTS.md).
EVENTS_TOPIC = "events"

# Every event type the outbox may hold.
EVENT_TYPES = (
    "reservation.held",
    "reservation.expired",
    "reservation.cancelled",
    "payment.succeeded",
    "payment.refunded",
    "schedule.cancelled",
)


def events_topic(prefix: str) -> str:
    return f"{prefix}{EVENTS_TOPIC}"


def envelope(
    *,
    event_id: str,
    sequence: int,
    event_type: str,
    version: int,
    aggregate_id: str,
    correlation_id: str,
    occurred_at: datetime,
    payload: Any,
) -> bytes:
    return json.dumps(
        {
            "event_id": event_id,
            "sequence": sequence,
            "type": event_type,
            "version": version,
            "occurred_at": from_db(occurred_at).isoformat(),
            "aggregate_id": aggregate_id,
            "correlation_id": correlation_id,
            "payload": json.loads(payload) if isinstance(payload, str) else payload,
        },
        separators=(",", ":"),
    ).encode()
