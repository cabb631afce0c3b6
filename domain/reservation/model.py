"""Seat holds: all or nothing, for a limited time, decided by the database."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.concert.model import SaleClosed, SalePhase, SaleWindow, hold_has_lapsed
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
        """A lapsed hold is expired for everyone, before any job marks it so."""
        if self.status is ReservationStatus.HELD and hold_has_lapsed(self.expires_at, now):
            return ReservationStatus.EXPIRED
        return self.status

    def is_live_hold(self, now: datetime) -> bool:
        return self.status_at(now) is ReservationStatus.HELD


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


@dataclass(frozen=True, slots=True, kw_only=True)
class HoldTerms:
    """What decides a fan's hold, read in the hold's own transaction after the fan's other
    holds of the show were made to wait: the sale window, how long a hold lasts, the
    show's limit per fan, and the seats asked for as the database has them."""

    window: SaleWindow
    hold_seconds: int
    max_seats_per_fan: int
    seats_found: int
    price: int
    seats_the_fan_has: int

    def check(self, *, seats: int, now: datetime, max_seats_per_fan: int) -> None:
        """Raises SaleClosed, TooManySeats (with the fan's live holds and purchases of the
        show counted) or SeatUnavailable (a seat of another show, or none)."""
        if self.window.phase(now) is not SalePhase.ON_SALE:
            raise SaleClosed("this show is not on sale")
        limit = min(max_seats_per_fan, self.max_seats_per_fan)
        if self.seats_the_fan_has + seats > limit:
            raise TooManySeats(f"at most {limit} seats per fan for this show")
        if self.seats_found != seats:
            raise SeatUnavailable("one or more of these seats are not seats of this show")

    def expires_at(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.hold_seconds)
