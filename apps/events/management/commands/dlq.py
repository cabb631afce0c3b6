"""Dead letters: `manage.py dlq list [--type <event type>]` and `manage.py dlq replay`.

`list` reads `events.dlq` (with the topic prefix) from the start without consuming it.
`replay` publishes every dead letter not yet replayed back to the events topic, with its
schedule key, for the consumers to handle again (handlers are idempotent), and remembers
how far it got (consumer group `ticketing.dlq-replay`).
"""

import json
import time
import uuid
from typing import Any

from confluent_kafka import Consumer, Producer
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from adapters.messaging.consumer import parse_envelope
from adapters.messaging.envelope import EVENT_TYPES, events_topic
from adapters.messaging.kafka_client import client_config
from adapters.messaging.relay import producer_config


def read_all(topic: str, *, group: str, idle_seconds: float = 3.0) -> tuple[Consumer, list[Any]]:
    consumer = Consumer(
        client_config(
            settings.KAFKA_BOOTSTRAP_SERVERS,
            **{
                "group.id": group,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "max.poll.interval.ms": 10000,
                "session.timeout.ms": 6000,
                "log_level": 3,
            },
        )
    )
    consumer.subscribe([topic])
    messages: list[Any] = []
    # The first poll waits for the group to form; then stop after a quiet spell.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is not None and not message.error():
            messages.append(message)
            deadline = time.monotonic() + idle_seconds
    return consumer, messages


def _type_of(value: bytes | None) -> str:
    try:
        return str(parse_envelope(value)["type"])
    except ValueError:
        return ""  # a poison message: no type to go by


class Command(BaseCommand):
    help = "List or replay the dead letters of the events topic."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "replay"])
        parser.add_argument(
            "--type", dest="event_type", choices=EVENT_TYPES, help="list only this type"
        )

    def handle(self, *args: Any, action: str, event_type: str | None, **options: Any) -> None:
        topic = events_topic(settings.KAFKA_TOPIC_PREFIX)
        if action == "list":
            consumer, messages = read_all(f"{topic}.dlq", group=f"dlq-list-{uuid.uuid4().hex}")
            consumer.close()
            if event_type:
                messages = [m for m in messages if _type_of(m.value()) == event_type]
            for message in messages:
                error = dict(message.headers() or []).get("error", b"").decode()
                self.stdout.write(
                    json.dumps(
                        {
                            "offset": message.offset(),
                            "value": message.value().decode(errors="replace"),
                            "error": error,
                        }
                    )
                )
            self.stdout.write(f"{len(messages)} dead letters")
            return
        if event_type:
            # A replay commits how far it got: one that skipped some would lose them.
            raise CommandError("replay takes every dead letter; --type is for list")
        consumer, messages = read_all(f"{topic}.dlq", group="ticketing.dlq-replay")
        producer = Producer(producer_config(settings.KAFKA_BOOTSTRAP_SERVERS))
        for message in messages:
            producer.produce(topic, key=message.key(), value=message.value())
        if producer.flush(15):
            consumer.close()
            raise CommandError("the broker did not acknowledge the replay; nothing committed")
        if messages:
            consumer.commit(asynchronous=False)
        consumer.close()
        self.stdout.write(f"replayed {len(messages)} dead letters to {topic}")
