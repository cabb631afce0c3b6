from datetime import datetime
from typing import Protocol

from domain.reservation.model import FanGate, HoldTerms, Reservation, ReservationStatus


class Clock(Protocol):
    def now(self) -> datetime: ...


class SeatLocks(Protocol):
    """Fail-fast seat locks in Redis. An accelerator only: the database decides."""

    def acquire(
        self,
        *,
        schedule_id: int,
        user_id: int,
        seat_ids: tuple[int, ...],
        owner: str,
        ttl_ms: int,
        now_ms: int,
        gate: FanGate | None,
    ) -> None:
        """One atomic call: the gate first (NotAdmitted, HoldRateLimited), then all of the
        seats locked, or none (SeatsBusy). With a gate, Redis down is QueueUnavailable;
        without one, the database decides alone."""
        ...

    def release(self, *, schedule_id: int, seat_ids: tuple[int, ...], owner: str) -> None: ...


class Holds(Protocol):
    """Reservations and the seats they hold, in the database. Every method runs inside the
    caller's unit of work; none opens a transaction of its own."""

    def terms(
        self, *, user_id: int, schedule_id: int, seat_ids: tuple[int, ...], now: datetime
    ) -> HoldTerms:
        """First locks the fan's hold row of the show (kept to commit, so the fan's other
        holds of it wait and are counted), then reads the terms. Raises ScheduleNotFound."""
        ...

    def add(
        self,
        *,
        user_id: int,
        schedule_id: int,
        seat_ids: tuple[int, ...],
        amount: int,
        expires_at: datetime,
        now: datetime,
    ) -> int:
        """A new held reservation; returns its id."""
        ...

    def take_seats(
        self,
        *,
        reservation_id: int,
        schedule_id: int,
        seat_ids: tuple[int, ...],
        held_until: datetime,
        now: datetime,
    ) -> int:
        """Holds for the reservation, until `held_until`, each of the seats that is
        available or whose hold has lapsed at `now` (one conditional UPDATE, in id order);
        returns how many it took."""
        ...

    def locked(self, *, reservation_id: int, user_id: int | None) -> Reservation:
        """The reservation, row-locked to commit; `user_id` None for operators. Another
        fan's reservation raises ReservationNotFound, as a missing one does."""
        ...

    def lapsed(self, *, now: datetime, batch: int) -> list[Reservation]:
        """Up to `batch` holds that have lapsed at `now` and are still marked held,
        row-locked, skipping those another worker has locked."""
        ...

    def end(self, reservation: Reservation, *, status: ReservationStatus, now: datetime) -> None:
        """Gives the reservation its final status and its seats back to sale (held seats
        of a hold, sold seats of a purchase)."""
        ...

    def confirm(self, *, reservation_id: int, payment_id: int, now: datetime) -> None: ...

    def sell_seats(self, *, reservation_id: int, seat_ids: tuple[int, ...]) -> int:
        """Marks the reservation's held seats sold; returns how many were still its."""
        ...

    def live_of_schedule(self, *, schedule_id: int, batch: int) -> list[Reservation]:
        """Up to `batch` reservations of the schedule marked held or confirmed."""
        ...

    def get(self, *, reservation_id: int, user_id: int | None) -> Reservation:
        """Without a lock. Raises ReservationNotFound, also for another fan's."""
        ...
