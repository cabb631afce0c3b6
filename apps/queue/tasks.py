import logging

from celery import shared_task

from apps.queue.wiring import clock, waiting_room
from domain.queue.model import QueueUnavailable

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def admit_waiting_fans() -> int:
    """Beat, every second: sweep abandoned places and admit the next fans of every queue.

    Idempotent and safe to overlap: each step is one atomic script per schedule.
    """
    room = waiting_room()
    admitted = 0
    try:
        for schedule_id in room.known_schedules():
            admitted += len(room.tick(schedule_id=schedule_id, now_ms=clock().now_ms()))
    except QueueUnavailable as exc:
        logger.warning("admission tick skipped: %s", exc)
    return admitted
