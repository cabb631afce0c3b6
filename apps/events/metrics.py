"""Event metrics for /metrics: outbox gauges, read from the database when Prometheus
scrapes, and the lag from commit to handled."""

import logging
from collections.abc import Iterator

from django.db import DatabaseError, connection
from prometheus_client import Histogram
from prometheus_client.core import REGISTRY, GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

QUERY = """
SELECT
  (SELECT COUNT(*) FROM outbox_event WHERE published_at IS NULL),
  (SELECT TIMESTAMPDIFF(MICROSECOND, MIN(occurred_at), UTC_TIMESTAMP(6)) / 1e6
     FROM outbox_event WHERE published_at IS NULL),
  (SELECT COUNT(*) FROM outbox_event
     WHERE published_at > UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE)
"""


# Observed by the Celery workers: run them with PROMETHEUS_MULTIPROC_DIR to add them up.
EVENT_LAG_SECONDS = Histogram(
    "event_handled_lag_seconds",
    "From the commit of the event to its group's handlers done",
    ["group"],
    buckets=(0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60),
)

NAMES = {
    "outbox_backlog": "Events not yet published",
    "outbox_oldest_unpublished_seconds": "Age of the oldest unpublished event",
    "outbox_published_per_second": "Events published, averaged over the last minute",
}


class OutboxCollector(Collector):
    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Registering a collector without describe() would run collect() at start-up.
        return (GaugeMetricFamily(name, doc) for name, doc in NAMES.items())

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with connection.cursor() as cursor:
                cursor.execute(QUERY)
                backlog, oldest, last_minute = cursor.fetchone()
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


def register() -> None:
    REGISTRY.register(OutboxCollector())
