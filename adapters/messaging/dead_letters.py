"""Dead-letter topics: `<topic>.dlq` keeps what could not be handled, with the error."""

import json
from functools import cache
from typing import Any

from confluent_kafka import Producer

from adapters.messaging.relay import producer_config


@cache
def _producer(bootstrap: str) -> Producer:
    return Producer(producer_config(bootstrap))


def send_to_dead_letters(
    *, bootstrap: str, topic: str, value: bytes, error: str, key: bytes | None = None
) -> None:
    """Publishes and waits for the broker's acknowledgement; raises if it does not come."""
    failures: list[Any] = []
    producer = _producer(bootstrap)
    producer.produce(
        f"{topic}.dlq",
        key=key,
        value=value,
        headers={"error": error[:1000].encode()},
        on_delivery=lambda err, msg: failures.append(err) if err else None,
    )
    if producer.flush(15) or failures:
        raise RuntimeError(f"dead letter for {topic} not delivered: {failures or 'timeout'}")


def dead_letter_value(envelope: Any) -> bytes:
    return json.dumps(envelope, separators=(",", ":")).encode()
