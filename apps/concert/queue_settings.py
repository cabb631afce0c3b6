"""The concert module tells the waiting room about its schedules' settings."""

import logging

from django.conf import settings
from django.db import transaction

from apps.concert.models import ScheduleRecord
from domain.concert.model import ScheduleStatus
from domain.queue.admission import AdaptiveAdmission
from domain.queue.model import QueueSettings, QueueUnavailable

logger = logging.getLogger(__name__)


def queue_settings_of_record(schedule: ScheduleRecord) -> QueueSettings:
    return QueueSettings(
        schedule_id=schedule.id,
        opens_at=schedule.sale_opens_at,
        closes_at=schedule.sale_closes_at,
        max_active=schedule.max_active,
        admit_per_second=schedule.admit_per_second,
        abandon_after_seconds=schedule.abandon_after_seconds,
        active_ttl_seconds=settings.QUEUE_ACTIVE_TTL_SECONDS,
        hold_ttl_seconds=schedule.hold_ttl_seconds,
        heartbeat_seconds=settings.QUEUE_HEARTBEAT_SECONDS,
        cancelled=schedule.status == ScheduleStatus.CANCELLED.value,
        adaptive=AdaptiveAdmission(
            latency_target_ms=schedule.booking_latency_target_ms,
            ceiling=schedule.admit_ceiling,
            capacity=schedule.max_active,
            floor=schedule.admit_per_second,
        )
        if schedule.adaptive_admission
        else None,
    )


class OrmQueueSettingsSource:
    def settings_of(self, schedule_id: int) -> QueueSettings | None:
        schedule = ScheduleRecord.objects.filter(id=schedule_id).first()
        return queue_settings_of_record(schedule) if schedule else None


def publish_queue_settings(schedule: ScheduleRecord) -> None:
    """After commit, writes the schedule's settings beside its queue in Redis.

    If Redis is down now, the waiting room restores them from the database on first use.
    """
    from apps.queue.wiring import clock, waiting_room

    queue_settings = queue_settings_of_record(schedule)

    def store() -> None:
        try:
            waiting_room().store_settings(queue_settings, now_ms=clock().now_ms())
        except QueueUnavailable as exc:
            logger.warning("queue settings of schedule %s not stored: %s", schedule.id, exc)

    transaction.on_commit(store)
