"""Reading what reached the Kafka-protocol broker, for assertions."""

import time
import uuid
from collections.abc import Sequence
from typing import Any

from confluent_kafka import Consumer
from django.conf import settings


def read_messages(
    topics: Sequence[str], count: int, *, bootstrap: str | None = None, timeout: float = 30
) -> list[Any]:
    """Up to `count` messages from the start of `topics`, in a throwaway consumer group."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap or settings.KAFKA_BOOTSTRAP_SERVERS,
            "group.id": f"test-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            # The broker completes a group's first join after this (about 3 s with Tansu).
            "max.poll.interval.ms": 10000,
            "session.timeout.ms": 6000,
        }
    )
    consumer.subscribe(list(topics))
    messages: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while len(messages) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                messages.append(message)
    finally:
        consumer.close()
    return messages


def first_message(topic: str, timeout: float = 30) -> Any:
    messages = read_messages([topic], 1, timeout=timeout)
    return messages[0] if messages else None
