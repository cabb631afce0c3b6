"""Dead letters: `manage.py dlq list <event type>` and `manage.py dlq replay <event type>`.

`list` reads `<topic>.dlq` from the start without consuming it. `replay` publishes every
dead letter not yet replayed back to its topic, for the consumers to handle again (handlers
are idempotent), and remembers how far it got (consumer group `ticketing.dlq-replay`).
"""

import json
import time
import uuid
from typing import Any

from confluent_kafka import Consumer, Producer
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from adapters.messaging.envelope import EVENT_TYPES
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


class Command(BaseCommand):
    help = "List or replay the dead letters of one event type."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["list", "replay"])
        parser.add_argument("event_type", choices=EVENT_TYPES)

    def handle(self, *args: Any, action: str, event_type: str, **options: Any) -> None:
        topic = f"{settings.KAFKA_TOPIC_PREFIX}{event_type}"
        if action == "list":
            consumer, messages = read_all(f"{topic}.dlq", group=f"dlq-list-{uuid.uuid4().hex}")
            consumer.close()
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
