"""Consuming domain events: each fetched batch of messages is handed over at once (to
Celery, in production), and the offsets are committed only after the hand-over returned
(the events are durable in the Celery broker), so a crash re-delivers rather than loses.
Messages that are not events go straight to the dead letters."""

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer

from adapters.messaging.dead_letters import send_to_dead_letters
from adapters.messaging.kafka_client import client_config

logger = logging.getLogger(__name__)

REQUIRED = ("event_id", "type", "version", "occurred_at", "payload")


def parse_envelope(value: bytes | None) -> dict[str, Any]:
    envelope = json.loads(value or b"")
    if not isinstance(envelope, dict) or any(field not in envelope for field in REQUIRED):
        raise ValueError("not an event envelope")
    return envelope


@dataclass
class EventConsumer:
    bootstrap: str
    group: str
    topics: list[str]
    # Takes a batch of (topic, envelope), in the order fetched.
    dispatch: Callable[[list[tuple[str, dict[str, Any]]]], None]
    # The consumer group on the broker; ticketing.<group> unless given.
    group_id: str = ""

    def _consumer(self) -> Consumer:
        return Consumer(
            client_config(
                self.bootstrap,
                **{
                    "group.id": self.group_id or f"ticketing.{self.group}",
                    "enable.auto.commit": False,
                    "auto.offset.reset": "earliest",
                    # A short rebalance timeout keeps a group's first join quick.
                    "max.poll.interval.ms": 30000,
                    "session.timeout.ms": 10000,
                    # The broker answers a fetch at once rather than waiting up to 500 ms for more.
                    "fetch.wait.max.ms": 20,
                    # A consumer that joined before its topics existed (a new broker, started
                    # beside the relay that creates them) has no partitions until it looks at
                    # the topics again: every 5 s, not librdkafka's 5 min.
                    "topic.metadata.refresh.interval.ms": 5000,
                    "log_level": 3,
                },
            )
        )

    def run(
        self,
        *,
        max_messages: int | None = None,
        stop_after_idle: float | None = None,
        stop: threading.Event | None = None,
    ) -> int:
        """Consumes until `stop` is set (or the limits). A stop ends the loop between two
        batches: the one in hand is dispatched and its offsets committed, then the consumer
        leaves its group (close), so the others take its partitions at once."""
        stop = stop or threading.Event()
        consumer = self._consumer()
        consumer.subscribe(self.topics)
        handled, idle_since = 0, time.monotonic()
        try:
            while (max_messages is None or handled < max_messages) and not stop.is_set():
                # A short wait: at a few hundred events a second, waiting to fill a batch
                # would add most of the lag.
                messages = consumer.consume(num_messages=100, timeout=0.05)
                real = [m for m in messages if m.error() is None]
                for message in messages:
                    if message.error() is not None:
                        # librdkafka retries by itself; say so, or a consumer that gets no
                        # partitions (a group that cannot form) looks merely idle.
                        logger.warning("consumer %s: %s", self.group, message.error())
                events: list[tuple[str, dict[str, Any]]] = []
                for message in real:
                    topic = str(message.topic())
                    try:
                        envelope = parse_envelope(message.value())
                    except ValueError as exc:  # json errors are ValueErrors too
                        logger.warning("poison message on %s: %s", message.topic(), exc)
                        send_to_dead_letters(
                            bootstrap=self.bootstrap,
                            topic=topic,
                            value=message.value() or b"",
                            error=str(exc),
                            key=message.key(),
                        )
                    else:
                        events.append((topic, envelope))
                    handled += 1
                if events:
                    self.dispatch(events)
                if real:
                    consumer.commit(asynchronous=False)
                    idle_since = time.monotonic()
                elif stop_after_idle and time.monotonic() - idle_since > stop_after_idle:
                    break
        finally:
            consumer.close()
        return handled
