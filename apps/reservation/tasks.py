import logging

from celery import shared_task

from apps.reservation.wiring import cancel_schedule_reservations
from apps.reservation.wiring import expire_holds as build_expire_holds

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=3, default_retry_delay=5, ignore_result=True)
def expire_holds(self: object) -> int:
    """Beat, every 10 s: release holds past their expiry. Their seats are already free for
    others before this runs (the hold UPDATE treats an expired hold as free); this makes
    the state, the seat map and the events say so."""
    return build_expire_holds()()


@shared_task(acks_late=True, ignore_result=True)
def finish_cancelled_schedules() -> int:
    """Beat, every minute: the refund saga's safety net, from the database alone. A
    cancelled schedule with reservations still held or paid (its event lost or dead-
    lettered, a worker gone) has them released and refunded; each refund is idempotent."""
    from apps.concert.models import ScheduleRecord
    from apps.reservation.models import ReservationRecord
    from domain.concert.model import ScheduleStatus

    live = ReservationRecord.objects.filter(status__in=["held", "confirmed"])
    unfinished = ScheduleRecord.objects.filter(
        status=ScheduleStatus.CANCELLED.value, id__in=live.values("schedule_id")
    ).values_list("id", flat=True)
    finished = 0
    for schedule_id in unfinished:
        finished += cancel_schedule_reservations()(schedule_id=schedule_id)
        logger.warning("refund saga of schedule %s finished by the sweep", schedule_id)
    return finished
