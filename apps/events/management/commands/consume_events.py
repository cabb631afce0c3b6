"""Turn domain events into Celery tasks: `manage.py consume_events [--group concert]`.

Every group reads the one events topic and hands on the types it reacts to. Scale by
running more consumers of a group (up to the topic's partition count) and more Celery
workers."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from adapters.messaging.consumer import EventConsumer
from adapters.messaging.envelope import events_topic
from adapters.messaging.shutdown import stop_on_signals
from apps.events.handlers import HANDLERS
from apps.events.tasks import dispatch_events
from apps.ops.tracing import configure_tracing


class Command(BaseCommand):
    help = "Consume domain events for one reacting module and hand them to Celery."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--group", default="concert", choices=sorted(HANDLERS))
        parser.add_argument(
            "--stop-after-idle",
            type=float,
            default=None,
            help="seconds without messages before stopping (tests, backfills)",
        )
        parser.add_argument(
            "--group-id",
            default="",
            help="the consumer group on the broker, ticketing.<group> unless given (a bench "
            "run or a test that must not share the group's offsets and members)",
        )

    def handle(self, *args: Any, group: str, **options: Any) -> None:
        configure_tracing("consumer")
        if not HANDLERS[group]:
            raise CommandError(f"group {group} reacts to no event")

        def dispatch(events: list[tuple[str, dict[str, Any]]]) -> None:
            # Returns once the events are in Redis: only then are the offsets committed.
            dispatch_events(group, events)

        consumer = EventConsumer(
            bootstrap=settings.KAFKA_BOOTSTRAP_SERVERS,
            group=group,
            topics=[events_topic(settings.KAFKA_TOPIC_PREFIX)],
            dispatch=dispatch,
            group_id=options["group_id"],
        )
        handled = consumer.run(stop_after_idle=options["stop_after_idle"], stop=stop_on_signals())
        self.stdout.write(f"handled {handled} events")
