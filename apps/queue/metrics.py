"""Waiting-room gauges for /metrics, read from Redis when Prometheus scrapes."""

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from domain.queue.model import QueueUnavailable

logger = logging.getLogger(__name__)
STEERED = "queue_admission_reason"


class QueueCollector(Collector):
    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Registering a collector without describe() would run collect() at start-up.
        names = (
            "queue_waiting",
            "queue_active",
            "queue_admitted_per_second",
            "queue_admitted_total",
            "queue_abandoned_total",
            "queue_admission_rate",
            "queue_claims",
            "queue_slots",
            "queue_admission_steering_p95_ms",
        )
        yield from (GaugeMetricFamily(name, name, labels=["schedule"]) for name in names)
        yield GaugeMetricFamily(STEERED, STEERED, labels=["schedule", "reason"])

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
            "admission_rate": GaugeMetricFamily(
                "queue_admission_rate",
                "Fans a second the next admission steps admit at (fixed or steered)",
                labels=["schedule"],
            ),
            "claims": GaugeMetricFamily(
                "queue_claims",
                "Admitted fans who have not held a seat yet (admission keeps them within "
                "the seats left)",
                labels=["schedule"],
            ),
            "slots": GaugeMetricFamily(
                "queue_slots",
                "Fans that may be admitted at once: the capacity, or with adaptive admission "
                "its share at the steered rate",
                labels=["schedule"],
            ),
        }
        steering_p95 = GaugeMetricFamily(
            "queue_admission_steering_p95_ms",
            "Booking latency p95 that adaptive admission last steered by",
            labels=["schedule"],
        )
        steered = GaugeMetricFamily(
            STEERED,
            "1 for why the admission rate is what it is (fixed, raised, lowered, held, ...)",
            labels=["schedule", "reason"],
        )
        room = waiting_room()
        try:
            for schedule_id in room.known_schedules():
                stats = room.stats(schedule_id=schedule_id, now_ms=clock().now_ms())
                for name, family in families.items():
                    family.add_metric([str(schedule_id)], float(getattr(stats, name)))
                if stats.steering_p95_ms is not None:
                    steering_p95.add_metric([str(schedule_id)], stats.steering_p95_ms)
                steered.add_metric([str(schedule_id), stats.rate_reason], 1.0)
        except QueueUnavailable as exc:
            logger.warning("queue metrics unavailable: %s", exc)
        yield from families.values()
        yield steering_p95
        yield steered


def register() -> None:
    from apps.ops.metrics import register_live

    register_live(QueueCollector())
