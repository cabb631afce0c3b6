from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from domain.payment.model import IdempotencyClaim, PaymentReceipt, StoredAnswer

# How a successful payment is answered, and so stored for the key: (status, body).
RenderReceipt = Callable[[PaymentReceipt], StoredAnswer]


class PaymentStore(Protocol):
    def pay(
        self,
        *,
        claim: IdempotencyClaim,
        reservation_id: int,
        schedule_id: int,
        now: datetime,
        render: RenderReceipt,
    ) -> PaymentReceipt | StoredAnswer:
        """One transaction: lock the reservation (with the key's stored answer, if any, which
        is returned instead); refuse unless it is this fan's live hold of `schedule_id`;
        debit the wallet; ledger entry; seats sold; reservation confirmed; outbox event; the
        key's answer. Raises ReservationNotFound, NotAdmitted (another schedule),
        ReservationExpired, AlreadyPaid, InsufficientBalance, IdempotencyKeyReused."""
        ...


class IdempotencyStore(Protocol):
    """Answers that are not a payment (final refusals) and replays."""

    def stored(self, claim: IdempotencyClaim, *, now: datetime) -> StoredAnswer | None: ...

    def record(
        self, claim: IdempotencyClaim, answer: StoredAnswer, *, now: datetime
    ) -> StoredAnswer:
        """Stores the key's answer; returns the one stored first if the key already had one."""
        ...


class ActiveSlots(Protocol):
    def release(self, *, schedule_id: int, user_id: int) -> None:
        """Gives the fan's waiting-room slot back so the next fan gets in."""
        ...
