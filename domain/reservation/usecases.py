from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Protocol

from domain.events import EventLog
from domain.reservation.events import HoldExpired, ReservationCancelled, SeatsHeld
from domain.reservation.model import (
    FanGate,
    NotCancellable,
    Reservation,
    ReservationStatus,
    SeatUnavailable,
    checked_seat_ids,
)
from domain.reservation.ports import Clock, Holds, SeatLocks
from domain.unit_of_work import UnitOfWork


def lock_owner(user_id: int) -> str:
    return f"u{user_id}"


@dataclass(frozen=True, kw_only=True)
class HoldSeats:
    """Holds 1..N seats for the fan, all or nothing, until the schedule's hold expiry.

    Guarantees: with a gate, only a fan the waiting room still counts as active holds, at
    most at the fan's hold rate (one Redis call checks both and takes the seat locks); no
    seat is ever held or sold for two reservations (the database's conditional UPDATE
    decides, in seat id order); losers are usually turned away by Redis before they reach
    the database; Redis locks are given back when the database says no; the seat map shows
    the hold from the next read on (domain/concert/seat_map.py reacts to SeatsHeld).
    """

    uow: UnitOfWork
    holds: Holds
    events: EventLog
    locks: SeatLocks
    clock: Clock
    max_seats_per_fan: int
    lock_ttl_ms: int = 300_000

    def __call__(
        self,
        *,
        user_id: int,
        schedule_id: int,
        seat_ids: Sequence[int],
        gate: FanGate | None = None,
    ) -> Reservation:
        """`gate`: a fan's own hold (the API's); None for operators and internal callers."""
        seats = checked_seat_ids(seat_ids, max_seats=self.max_seats_per_fan)
        owner = lock_owner(user_id)
        now = self.clock.now()
        self.locks.acquire(
            schedule_id=schedule_id,
            user_id=user_id,
            seat_ids=seats,
            owner=owner,
            ttl_ms=self.lock_ttl_ms,
            now_ms=int(now.timestamp() * 1000),
            gate=gate,
        )
        try:
            held = self.uow.run(lambda: self._hold(user_id, schedule_id, seats, now))
        except BaseException:
            self.locks.release(schedule_id=schedule_id, seat_ids=seats, owner=owner)
            raise
        return held

    def _hold(
        self, user_id: int, schedule_id: int, seats: tuple[int, ...], now: datetime
    ) -> Reservation:
        terms = self.holds.terms(user_id=user_id, schedule_id=schedule_id, seat_ids=seats, now=now)
        terms.check(seats=len(seats), now=now, max_seats_per_fan=self.max_seats_per_fan)
        expires_at = terms.expires_at(now)
        reservation_id = self.holds.add(
            user_id=user_id,
            schedule_id=schedule_id,
            seat_ids=seats,
            amount=terms.price,
            expires_at=expires_at,
            now=now,
        )
        taken = self.holds.take_seats(
            reservation_id=reservation_id,
            schedule_id=schedule_id,
            seat_ids=seats,
            held_until=expires_at,
            now=now,
        )
        if taken != len(seats):  # the database decides: all of them, or the hold rolls back
            raise SeatUnavailable("one or more of these seats were just taken")
        self.events.record(
            SeatsHeld(
                reservation_id=reservation_id,
                user_id=user_id,
                schedule_id=schedule_id,
                seat_ids=seats,
                amount=terms.price,
                expires_at=expires_at,
            )
        )
        return Reservation(
            id=reservation_id,
            user_id=user_id,
            schedule_id=schedule_id,
            seat_ids=seats,
            amount=terms.price,
            status=ReservationStatus.HELD,
            expires_at=expires_at,
        )


def release_hold(
    holds: Holds, events: EventLog, *, reservation_id: int, user_id: int | None, now: datetime
) -> Reservation:
    """Inside a unit of work: a live hold cancelled and its seats freed; NotCancellable
    for anything else (a purchase, a lapsed or ended hold)."""
    reservation = holds.locked(reservation_id=reservation_id, user_id=user_id)
    if not reservation.is_live_hold(now):
        raise NotCancellable("only a live hold can be released this way")
    holds.end(reservation, status=ReservationStatus.CANCELLED, now=now)
    events.record(
        ReservationCancelled(
            reservation_id=reservation.id,
            schedule_id=reservation.schedule_id,
            seat_ids=reservation.seat_ids,
            refunded=0,
        )
    )
    return reservation


def expire_lapsed(
    holds: Holds, events: EventLog, *, now: datetime, batch: int
) -> list[Reservation]:
    """Inside a unit of work: up to `batch` lapsed holds marked expired, seats freed."""
    lapsed = holds.lapsed(now=now, batch=batch)
    for reservation in lapsed:
        holds.end(reservation, status=ReservationStatus.EXPIRED, now=now)
        events.record(
            HoldExpired(
                reservation_id=reservation.id,
                schedule_id=reservation.schedule_id,
                seat_ids=reservation.seat_ids,
            )
        )
    return lapsed


class Refund(Protocol):
    def __call__(self, *, reservation_id: int, user_id: int | None, now: datetime) -> int:
        """Refunds a paid reservation in full, in its own unit of work; `user_id` None for
        an operator's cancellation (the payment module's RefundPurchase)."""
        ...


@dataclass(frozen=True, slots=True)
class Cancellation:
    reservation: Reservation
    refunded: int


@dataclass(frozen=True, kw_only=True)
class CancelReservation:
    """A fan cancels: a live hold is released; a paid reservation is refunded in full while
    the show's refund window is open (one transaction with the ledger entry); otherwise
    NotCancellable. The same refund path serves an operator's schedule cancellation."""

    uow: UnitOfWork
    holds: Holds
    events: EventLog
    refund: Refund
    locks: SeatLocks
    clock: Clock

    def __call__(self, *, reservation_id: int, user_id: int) -> Cancellation:
        now = self.clock.now()
        current = self.holds.get(reservation_id=reservation_id, user_id=user_id)
        refunded = 0
        if current.status_at(now) is ReservationStatus.CONFIRMED:
            refunded = self.refund(reservation_id=reservation_id, user_id=user_id, now=now)
        else:
            self.uow.run(
                lambda: release_hold(
                    self.holds, self.events, reservation_id=reservation_id, user_id=user_id, now=now
                )
            )
        self.locks.release(
            schedule_id=current.schedule_id, seat_ids=current.seat_ids, owner=lock_owner(user_id)
        )
        cancelled = self.holds.get(reservation_id=reservation_id, user_id=user_id)
        return Cancellation(reservation=cancelled, refunded=refunded)


@dataclass(frozen=True, kw_only=True)
class ReleaseHolds:
    """An operator releases stuck holds: each live hold is cancelled and its seats and
    locks freed, one unit of work per hold. Returns the released ones and, for each hold
    that was not released, why."""

    uow: UnitOfWork
    holds: Holds
    events: EventLog
    locks: SeatLocks
    clock: Clock

    def __call__(
        self, *, reservation_ids: Sequence[int]
    ) -> tuple[list[Reservation], dict[int, str]]:
        released: list[Reservation] = []
        refused: dict[int, str] = {}
        for reservation_id in reservation_ids:
            now = self.clock.now()
            try:
                held = self.uow.run(
                    partial(
                        release_hold,
                        self.holds,
                        self.events,
                        reservation_id=reservation_id,
                        user_id=None,
                        now=now,
                    )
                )
            except NotCancellable as exc:
                refused[reservation_id] = exc.detail
                continue
            self.locks.release(
                schedule_id=held.schedule_id, seat_ids=held.seat_ids, owner=lock_owner(held.user_id)
            )
            released.append(held)
        return released, refused


@dataclass(frozen=True, kw_only=True)
class ExpireHolds:
    """Marks holds past their expiry as expired, in batches, and frees their seats and
    locks. Idempotent; safe to run from several workers (SKIP LOCKED)."""

    uow: UnitOfWork
    holds: Holds
    events: EventLog
    locks: SeatLocks
    clock: Clock
    batch: int = 500

    def __call__(self) -> int:
        expired = 0
        while True:
            done = self.uow.run(
                partial(
                    expire_lapsed, self.holds, self.events, now=self.clock.now(), batch=self.batch
                )
            )
            for reservation in done:
                self.locks.release(
                    schedule_id=reservation.schedule_id,
                    seat_ids=reservation.seat_ids,
                    owner=lock_owner(reservation.user_id),
                )
            expired += len(done)
            if len(done) < self.batch:
                return expired


@dataclass(frozen=True, kw_only=True)
class CancelScheduleReservations:
    """The reservation module's step of the refund saga for a cancelled schedule: every live
    hold is released and every purchase refunded in full, through the same refund as a fan's
    own cancellation, one reservation per transaction.

    Resumable and idempotent: the work left is read from the database each batch, so a
    crashed run picks up where it stopped and a second run finds nothing to do.
    """

    uow: UnitOfWork
    holds: Holds
    events: EventLog
    refund: Refund
    locks: SeatLocks
    clock: Clock
    batch: int = 200

    def __call__(self, *, schedule_id: int) -> int:
        done = 0
        while reservations := self.holds.live_of_schedule(
            schedule_id=schedule_id, batch=self.batch
        ):
            for reservation in reservations:
                now = self.clock.now()
                try:
                    self._end(reservation, now)
                except NotCancellable:
                    # Changed meanwhile (it expired, or the fan cancelled it): skip it, as
                    # long as it is no longer live, so that the next batch moves on.
                    current = self.holds.get(
                        reservation_id=reservation.id, user_id=reservation.user_id
                    )
                    if current.status_at(self.clock.now()) in (
                        ReservationStatus.HELD,
                        ReservationStatus.CONFIRMED,
                    ):
                        raise
                    continue
                self.locks.release(
                    schedule_id=schedule_id,
                    seat_ids=reservation.seat_ids,
                    owner=lock_owner(reservation.user_id),
                )
                done += 1
        return done

    def _end(self, reservation: Reservation, now: datetime) -> None:
        if reservation.status is ReservationStatus.CONFIRMED:
            self.refund(reservation_id=reservation.id, user_id=None, now=now)
        elif reservation.status_at(now) is ReservationStatus.EXPIRED:
            self.uow.run(lambda: expire_lapsed(self.holds, self.events, now=now, batch=self.batch))
        else:
            self.uow.run(
                lambda: release_hold(
                    self.holds, self.events, reservation_id=reservation.id, user_id=None, now=now
                )
            )
