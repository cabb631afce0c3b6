"""Event metrics for /metrics: outbox gauges, read from the database when Prometheus
scrapes, the events sent to the dead letters (counted in Redis by whichever process sent
them, so every app server shows the same total), and the lag from commit to handled."""

import logging
from collections.abc import Iterator

from django.db import DatabaseError, connection
from prometheus_client import Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from redis.exceptions import RedisError

from apps.payment.management.commands.reconcile import UNFINISHED_SAGA

logger = logging.getLogger(__name__)

QUERY = """
SELECT
  (SELECT COUNT(*) FROM outbox_event WHERE published_at IS NULL),
  (SELECT TIMESTAMPDIFF(MICROSECOND, MIN(occurred_at), UTC_TIMESTAMP(6)) / 1e6
     FROM outbox_event WHERE published_at IS NULL),
  (SELECT COUNT(*) FROM outbox_event
     WHERE published_at > UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE),
  (SELECT COUNT(*) FROM ({unfinished}) unfinished)
"""


# Observed by the Celery workers: run them with PROMETHEUS_MULTIPROC_DIR to add them up.
EVENT_LAG_SECONDS = Histogram(
    "event_handled_lag_seconds",
    "From the commit of the event to its group's handlers done",
    ["group"],
    buckets=(0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60),
)

DEAD_LETTERS_KEY = "events:dead_lettered"  # hash: topic → events sent to <topic>.dlq

NAMES = {
    "outbox_backlog": "Events not yet published",
    "outbox_oldest_unpublished_seconds": "Age of the oldest unpublished event",
    "outbox_published_per_second": "Events published, averaged over the last minute",
    "schedules_cancelled_unrefunded": "Schedules cancelled over 10 minutes ago that still have "
    "held or paid reservations (reconcile's check)",
}


class OutboxCollector(Collector):
    def describe(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        # Registering a collector without describe() would run collect() at start-up.
        yield from (GaugeMetricFamily(name, doc) for name, doc in NAMES.items())
        yield CounterMetricFamily("events_dead_lettered", "dead letters", labels=["topic"])

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        yield from _dead_letters()
        try:
            with connection.cursor() as cursor:
                cursor.execute(QUERY.format(unfinished=UNFINISHED_SAGA))
                backlog, oldest, last_minute, unrefunded = cursor.fetchone()
        except DatabaseError as exc:
            logger.warning("outbox metrics unavailable: %s", exc)
            return
        yield GaugeMetricFamily("outbox_backlog", "Events not yet published", value=backlog)
        yield GaugeMetricFamily(
            "outbox_oldest_unpublished_seconds",
            "Age of the oldest unpublished event",
            value=float(oldest or 0),
        )
        yield GaugeMetricFamily(
            "outbox_published_per_second",
            "Events published, averaged over the last minute",
            value=float(last_minute) / 60,
        )
        yield GaugeMetricFamily(
            "schedules_cancelled_unrefunded",
            NAMES["schedules_cancelled_unrefunded"],
            value=float(unrefunded),
        )


def count_dead_letter(topic: str) -> None:
    from adapters.queue.connection import queue_redis

    try:
        queue_redis().hincrby(DEAD_LETTERS_KEY, topic, 1)
    except RedisError as exc:
        logger.warning("dead letter on %s not counted: %s", topic, exc)


def _dead_letters() -> Iterator[CounterMetricFamily]:
    from adapters.queue.connection import queue_redis

    family = CounterMetricFamily(
        "events_dead_lettered",
        "Events sent to a dead-letter topic after their handlers failed for good",
        labels=["topic"],
    )
    try:
        counts = queue_redis().hgetall(DEAD_LETTERS_KEY)
    except RedisError as exc:
        logger.warning("dead-letter counts unavailable: %s", exc)
        return
    for topic, count in sorted(counts.items()):
        family.add_metric([topic.decode() if isinstance(topic, bytes) else topic], float(count))
    yield family


def register() -> None:
    from apps.ops.metrics import register_live

    register_live(OutboxCollector())
