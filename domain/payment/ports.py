from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from domain.payment.model import (
    IdempotencyClaim,
    PaymentReceipt,
    PaymentTerms,
    RefundWindow,
    StoredAnswer,
)

# How a successful payment is answered, and so stored for the key: (status, body).
RenderReceipt = Callable[[PaymentReceipt], StoredAnswer]


class Payments(Protocol):
    """Payments and what they decide on, in the database. Inside the caller's unit of work."""

    def terms(self, *, claim: IdempotencyClaim, reservation_id: int) -> PaymentTerms:
        """Locks and reads, in one statement, the fan's reservation, the fan's wallet and
        the key's stored answer. Raises ReservationNotFound (also for another fan's)."""
        ...

    def add(self, *, user_id: int, reservation_id: int, amount: int, now: datetime) -> int:
        """A succeeded payment; returns its id."""
        ...

    def locked_of(self, *, reservation_id: int) -> tuple[int, int]:
        """The reservation's payment, row-locked: (id, amount)."""
        ...

    def mark_refunded(self, *, payment_id: int, now: datetime) -> None: ...

    def refund_window(self, *, schedule_id: int) -> RefundWindow: ...


class IdempotencyStore(Protocol):
    """The answers given to idempotency keys."""

    def stored(self, claim: IdempotencyClaim, *, now: datetime) -> StoredAnswer | None: ...

    def forget(self, claim: IdempotencyClaim) -> None:
        """Drops the key's answer (one that outlived the key's lifetime)."""
        ...

    def store(self, claim: IdempotencyClaim, answer: StoredAnswer, *, now: datetime) -> None:
        """Inside the unit of work of what was answered; raises KeyAnsweredMeanwhile when
        another request stored an answer to the key first."""
        ...

    def record(
        self, claim: IdempotencyClaim, answer: StoredAnswer, *, now: datetime
    ) -> StoredAnswer:
        """Stores an answer that is not a payment (a final refusal) on its own; returns the
        one stored first if the key already had one."""
        ...


class ActiveSlots(Protocol):
    def release(self, *, schedule_id: int, user_id: int) -> None:
        """Gives the fan's waiting-room slot back so the next fan gets in."""
        ...
