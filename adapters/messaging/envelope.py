"""The event envelope on the wire (docs/EVENTS.md): JSON, one per Kafka message."""

import json
from datetime import datetime
from typing import Any

from adapters.db_time import from_db

# Every event type the outbox may hold; each is a topic (with the configured prefix).
EVENT_TYPES = (
    "reservation.held",
    "reservation.expired",
    "reservation.cancelled",
    "payment.succeeded",
    "payment.refunded",
    "schedule.cancelled",
)


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
