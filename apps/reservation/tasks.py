from celery import shared_task

from apps.reservation.wiring import expire_holds as build_expire_holds


@shared_task(bind=True, acks_late=True, max_retries=3, default_retry_delay=5, ignore_result=True)
def expire_holds(self: object) -> int:
    """Beat, every 10 s: release holds past their expiry. Their seats are already free for
    others before this runs (the hold UPDATE treats an expired hold as free); this makes
    the state, the seat map and the events say so."""
    return build_expire_holds()()
