"""What the reservation module announces (docs/EVENTS.md lists the payloads)."""

from dataclasses import dataclass
from datetime import datetime

from domain.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class SeatsHeld(DomainEvent):
    type = "reservation.held"
    aggregate = "reservation_id"
    reservation_id: int
    user_id: int
    seat_ids: tuple[int, ...]
    amount: int
    expires_at: datetime


@dataclass(frozen=True, kw_only=True)
class HoldExpired(DomainEvent):
    type = "reservation.expired"
    aggregate = "reservation_id"
    reservation_id: int
    seat_ids: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class ReservationCancelled(DomainEvent):
    """A hold released (refunded 0, no payment) or a purchase refunded."""

    type = "reservation.cancelled"
    aggregate = "reservation_id"
    reservation_id: int
    seat_ids: tuple[int, ...]
    refunded: int
    payment_id: int | None = None
