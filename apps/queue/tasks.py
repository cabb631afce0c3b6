import logging

from celery import shared_task

from apps.queue.wiring import admit_waiting_fans as build_admit_waiting_fans
from domain.queue.model import QueueUnavailable

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def admit_waiting_fans() -> int:
    """Beat, every second: steer the rate of the queues with adaptive admission, count the
    seats left, then sweep abandoned places and admit the next fans of every queue
    (domain.queue.usecases.AdmitWaitingFans).

    Idempotent and safe to overlap: each step is one atomic script per schedule (two
    overlapping steers move a rate twice, within its bounds).
    """
    try:
        admitted, counted = build_admit_waiting_fans()()
    except QueueUnavailable as exc:
        logger.warning("admission tick skipped: %s", exc)
        return 0
    if not counted:
        logger.warning("seats left not counted (database unavailable): admitting by the last count")
    return admitted
