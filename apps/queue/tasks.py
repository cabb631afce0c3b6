import logging

from celery import shared_task

from apps.queue.wiring import clock, steer_admission, waiting_room
from domain.queue.model import QueueUnavailable

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def admit_waiting_fans() -> int:
    """Beat, every second: steer the rate of the queues with adaptive admission, then sweep
    abandoned places and admit the next fans of every queue.

    Idempotent and safe to overlap: each step is one atomic script per schedule (two
    overlapping steers move a rate twice, within its bounds).
    """
    room = waiting_room()
    admitted = 0
    try:
        schedules = room.known_schedules()
        steer_admission()(schedule_ids=schedules)
        for schedule_id in schedules:
            admitted += len(room.tick(schedule_id=schedule_id, now_ms=clock().now_ms()))
    except QueueUnavailable as exc:
        logger.warning("admission tick skipped: %s", exc)
    return admitted
