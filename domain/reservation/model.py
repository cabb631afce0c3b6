"""Seat holds: all or nothing, for a limited time, decided by the database."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.errors import Conflict, InvalidInput, NotFound

DEFAULT_MAX_SEATS_PER_FAN = 4


class ReservationStatus(StrEnum):
    HELD = "held"
    CONFIRMED = "confirmed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True, kw_only=True)
class Reservation:
    id: int
    user_id: int
    schedule_id: int
    seat_ids: tuple[int, ...]
    amount: int
    status: ReservationStatus
    expires_at: datetime
    payment_id: int | None = None

    def status_at(self, now: datetime) -> ReservationStatus:
        """A hold past its expiry is expired for everyone, before any job marks it so."""
        if self.status is ReservationStatus.HELD and self.expires_at <= now:
            return ReservationStatus.EXPIRED
        return self.status


class SeatUnavailable(Conflict):
    code = "seat_unavailable"
    title = "One or more of these seats are not available"


@dataclass(frozen=True, slots=True)
class FanGate:
    """What a fan's own hold must pass, checked in the same Redis call as the seat locks:
    the fan's waiting-room slot is still active (holding extends it), and the fan holds no
    more often than `rate` a second, in bursts of `burst`. Operators and internal callers
    hold without one."""

    rate: float
    burst: int


class SeatsBusy(SeatUnavailable):
    """Another fan is holding these seats right now: trying again shortly may succeed."""

    retry_after = 2


class TooManySeats(InvalidInput):
    code = "too_many_seats"
    title = "Too many seats"


class ReservationNotFound(NotFound):
    code = "not_found"
    title = "Reservation not found"


class NotCancellable(Conflict):
    code = "not_cancellable"
    title = "This reservation cannot be cancelled"


def checked_seat_ids(seat_ids: Sequence[int], *, max_seats: int) -> tuple[int, ...]:
    """Distinct seat ids in ascending order (the lock order), 1..max_seats of them."""
    unique = tuple(sorted(set(seat_ids)))
    if len(unique) != len(seat_ids):
        raise InvalidInput("a seat is listed twice")
    if not 1 <= len(unique) <= max_seats:
        raise TooManySeats(f"hold between 1 and {max_seats} seats at a time")
    return unique
