from datetime import datetime
from typing import Any, Protocol

from domain.payment.model import PaymentReceipt


class PaymentStore(Protocol):
    def pay(self, *, user_id: int, reservation_id: int, now: datetime) -> PaymentReceipt:
        """One transaction: lock the reservation; refuse unless it is this fan's live hold;
        debit the wallet; ledger entry; seats sold; reservation confirmed; outbox event.
        Raises ReservationNotFound, ReservationExpired, AlreadyPaid, InsufficientBalance."""
        ...


class IdempotencyStore(Protocol):
    def begin(
        self, *, user_id: int, key: str, fingerprint: str, now: datetime
    ) -> tuple[int, Any] | None: ...

    def finish(self, *, user_id: int, key: str, status: int, body: Any) -> None: ...

    def abandon(self, *, user_id: int, key: str) -> None: ...


class ActiveSlots(Protocol):
    def release(self, *, schedule_id: int, user_id: int) -> None:
        """Gives the fan's waiting-room slot back so the next fan gets in."""
        ...
