"""Outbox gauges for /metrics, read from the database when Prometheus scrapes."""

import logging
from collections.abc import Iterator

from django.db import DatabaseError, connection
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
