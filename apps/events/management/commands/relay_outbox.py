"""Publish the outbox to Kafka: `manage.py relay_outbox [--once] [--shard i/n]`."""

import time
from typing import Any

from confluent_kafka import KafkaException
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from adapters.messaging.relay import OutboxRelay, ensure_topics
from adapters.messaging.shutdown import stop_on_signals
from apps.ops.tracing import configure_tracing


def parse_shard(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    try:
        index, count = (int(part) for part in value.split("/"))
    except ValueError:
        raise CommandError("--shard takes i/n, for example 0/2") from None
    if not 0 <= index < count:
        raise CommandError("--shard i/n needs 0 <= i < n")
    return index, count


class Command(BaseCommand):
    help = "Publish committed outbox events to the Kafka-protocol broker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="drain the outbox, then stop")
        parser.add_argument("--shard", help="i/n: only schedules with id %% n == i")
        parser.add_argument("--batch", type=int, default=settings.OUTBOX_RELAY_BATCH)

    def handle(self, *args: Any, **options: Any) -> None:
        configure_tracing("relay")
        bootstrap = settings.KAFKA_BOOTSTRAP_SERVERS
        while True:
            try:
                ensure_topics(
                    bootstrap,
                    prefix=settings.KAFKA_TOPIC_PREFIX,
                    partitions=settings.KAFKA_TOPIC_PARTITIONS,
                )
                break
            except KafkaException as exc:
                if options["once"]:
                    raise CommandError(f"broker unavailable: {exc}") from exc
                self.stderr.write(f"broker unavailable ({exc}); retrying")
                time.sleep(2)
        relay = OutboxRelay(
            bootstrap=bootstrap,
            topic_prefix=settings.KAFKA_TOPIC_PREFIX,
            batch=options["batch"],
            shard=parse_shard(options["shard"]),
        )
        published = relay.run(
            stop_after_idle=1.0 if options["once"] else None, stop=stop_on_signals()
        )
        self.stdout.write(f"published {published} events")
