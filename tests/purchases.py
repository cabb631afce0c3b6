"""Paying for a hold the way the API does, for tests that sell seats without HTTP."""

from apps.payment.api.views import payment_answer
from apps.payment.wiring import pay_for_reservation
from domain.payment.model import IdempotencyClaim, PaymentReceipt, StoredAnswer


def pay_held(*, user_id: int, reservation_id: int, schedule_id: int) -> PaymentReceipt:
    """Pays with a key of its own per reservation; a replay would mean the test paid twice."""
    outcome = pay_for_reservation()(
        claim=IdempotencyClaim(user_id, f"test-{reservation_id}", ""),
        reservation_id=reservation_id,
        schedule_id=schedule_id,
        render=payment_answer,
    )
    assert not isinstance(outcome, StoredAnswer), "this reservation was paid already"
    return outcome
