"""What the payment module announces (docs/EVENTS.md lists the payloads)."""

from dataclasses import dataclass

from domain.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class PaymentSucceeded(DomainEvent):
    type = "payment.succeeded"
    aggregate = "payment_id"
    payment_id: int
    reservation_id: int
    user_id: int
    seat_ids: tuple[int, ...]
    amount: int


@dataclass(frozen=True, kw_only=True)
class PaymentRefunded(DomainEvent):
    type = "payment.refunded"
    aggregate = "payment_id"
    reservation_id: int
    payment_id: int
    seat_ids: tuple[int, ...]
    refunded: int
