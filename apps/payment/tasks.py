from datetime import UTC, datetime

from celery import shared_task

from adapters.payment.orm import IDEMPOTENCY_TTL
from apps.reservation.wiring import idempotency_store


@shared_task(ignore_result=True)
def forget_old_idempotency_keys() -> int:
    """Beat, hourly: idempotency keys are kept 24 hours."""
    return idempotency_store().forget_older_than(datetime.now(UTC) - IDEMPOTENCY_TTL)
