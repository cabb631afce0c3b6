"""`seats_available{schedule}` on /metrics, for the schedules on sale now: how fast a sale
sells out, on the sale dashboard. Read from the database when Prometheus scrapes."""

import logging
from collections.abc import Iterator

from django.db import DatabaseError
from django.db.models import Count, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from apps.concert.models import ScheduleRecord
from domain.concert.model import ScheduleStatus, SeatStatus

logger = logging.getLogger(__name__)
NAME, HELP = "seats_available", "Seats still available, per schedule on sale"


class SeatsCollector(Collector):
    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(NAME, HELP, labels=["schedule"])

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(NAME, HELP, labels=["schedule"])
        now = timezone.now()
        on_sale = ScheduleRecord.objects.filter(
            status=ScheduleStatus.ACTIVE.value, sale_opens_at__lte=now, sale_closes_at__gt=now
        ).annotate(left=Count("seats", filter=Q(seats__status=SeatStatus.AVAILABLE.value)))
        try:
            for schedule_id, left in on_sale.values_list("id", "left"):
                family.add_metric([str(schedule_id)], float(left))
        except DatabaseError as exc:
            logger.warning("seat metrics unavailable: %s", exc)
            return
        yield family


def register() -> None:
    from apps.ops.metrics import register_live

    register_live(SeatsCollector())
