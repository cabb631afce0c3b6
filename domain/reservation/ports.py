from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.reservation.model import FanGate, Reservation


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


class SeatMap(Protocol):
    """The seat map fans read, told what the database has just committed, so that the next
    read shows it. An accelerator only: a change it misses (Redis down) shows when the map
    is next built from the database."""

    def seats_held(self, *, schedule_id: int, seat_ids: Sequence[int]) -> None: ...

    def seats_freed(self, *, schedule_id: int, seat_ids: Sequence[int]) -> None: ...

    def seats_sold(self, *, schedule_id: int, seat_ids: Sequence[int]) -> None: ...


class HoldStore(Protocol):
    def hold(
        self,
        *,
        user_id: int,
        schedule_id: int,
        seat_ids: tuple[int, ...],
        now: datetime,
        max_per_fan: int,
    ) -> Reservation:
        """One transaction: a conditional UPDATE of the seats in id order whose row count
        must equal the number of seats. Raises SeatUnavailable, TooManySeats, SaleClosed."""
        ...

    def release_hold(self, *, reservation_id: int, user_id: int, now: datetime) -> Reservation:
        """Cancels a live hold of this fan and frees its seats. Raises NotCancellable."""
        ...

    def expire_due(self, *, now: datetime, batch: int) -> list[Reservation]:
        """Marks up to `batch` holds past their expiry as expired (SKIP LOCKED)."""
        ...

    def live_of_schedule(self, *, schedule_id: int, batch: int) -> list[Reservation]:
        """Up to `batch` reservations of the schedule that are held or confirmed."""
        ...

    def get(self, *, reservation_id: int, user_id: int) -> Reservation:
        """Raises ReservationNotFound, also for another fan's reservation."""
        ...
