from datetime import UTC, datetime

from celery import shared_task

from apps.payment.wiring import idempotency_store
from domain.payment.model import IDEMPOTENCY_TTL


@shared_task(ignore_result=True)
def forget_old_idempotency_keys() -> int:
    """Beat, hourly: idempotency keys are kept 24 hours."""
    return idempotency_store().forget_older_than(datetime.now(UTC) - IDEMPOTENCY_TTL)
