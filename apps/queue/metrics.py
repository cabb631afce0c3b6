"""Waiting-room gauges for /metrics, read from Redis when Prometheus scrapes."""

import logging
from collections.abc import Iterator

from prometheus_client.core import REGISTRY, GaugeMetricFamily
from prometheus_client.registry import Collector

from domain.queue.model import QueueUnavailable

logger = logging.getLogger(__name__)


class QueueCollector(Collector):
    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Registering a collector without describe() would run collect() at start-up.
        names = (
            "queue_waiting",
            "queue_active",
            "queue_admitted_per_second",
            "queue_admitted_total",
            "queue_abandoned_total",
        )
        return (GaugeMetricFamily(name, name, labels=["schedule"]) for name in names)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from apps.queue.wiring import clock, waiting_room

        families = {
            "waiting": GaugeMetricFamily("queue_waiting", "Fans waiting", labels=["schedule"]),
            "active": GaugeMetricFamily(
                "queue_active", "Fans admitted and active", labels=["schedule"]
            ),
            "admitted_per_second": GaugeMetricFamily(
                "queue_admitted_per_second",
                "Measured admission rate (1-minute average)",
                labels=["schedule"],
            ),
            "admitted_total": GaugeMetricFamily(
                "queue_admitted_total", "Fans admitted so far", labels=["schedule"]
            ),
            "abandoned_total": GaugeMetricFamily(
                "queue_abandoned_total",
                "Places dropped because the fan stopped polling",
                labels=["schedule"],
            ),
        }
        room = waiting_room()
        try:
            for schedule_id in room.known_schedules():
                stats = room.stats(schedule_id=schedule_id, now_ms=clock().now_ms())
                for name, family in families.items():
                    family.add_metric([str(schedule_id)], float(getattr(stats, name)))
        except QueueUnavailable as exc:
            logger.warning("queue metrics unavailable: %s", exc)
        yield from families.values()


def register() -> None:
    REGISTRY.register(QueueCollector())
