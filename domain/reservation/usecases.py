from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.reservation.model import (
    FanGate,
    NotCancellable,
    Reservation,
    ReservationStatus,
    checked_seat_ids,
)
from domain.reservation.ports import Clock, HoldStore, SeatLocks, SeatMap


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
    the hold from the next read on.
    """

    store: HoldStore
    locks: SeatLocks
    seat_map: SeatMap
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
            held = self.store.hold(
                user_id=user_id,
                schedule_id=schedule_id,
                seat_ids=seats,
                now=now,
                max_per_fan=self.max_seats_per_fan,
            )
        except BaseException:
            self.locks.release(schedule_id=schedule_id, seat_ids=seats, owner=owner)
            raise
        self.seat_map.seats_held(schedule_id=schedule_id, seat_ids=held.seat_ids)
        return held


class Refunds(Protocol):
    def refund(self, *, reservation_id: int, user_id: int | None, now: datetime) -> int:
        """Refunds a paid reservation in full; `user_id` None for an operator's cancellation."""
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

    store: HoldStore
    refunds: Refunds
    locks: SeatLocks
    seat_map: SeatMap
    clock: Clock

    def __call__(self, *, reservation_id: int, user_id: int) -> Cancellation:
        now = self.clock.now()
        current = self.store.get(reservation_id=reservation_id, user_id=user_id)
        refunded = 0
        if current.status_at(now) is ReservationStatus.CONFIRMED:
            refunded = self.refunds.refund(reservation_id=reservation_id, user_id=user_id, now=now)
        else:
            self.store.release_hold(reservation_id=reservation_id, user_id=user_id, now=now)
        self.locks.release(
            schedule_id=current.schedule_id, seat_ids=current.seat_ids, owner=lock_owner(user_id)
        )
        self.seat_map.seats_freed(schedule_id=current.schedule_id, seat_ids=current.seat_ids)
        cancelled = self.store.get(reservation_id=reservation_id, user_id=user_id)
        return Cancellation(reservation=cancelled, refunded=refunded)


@dataclass(frozen=True, kw_only=True)
class ExpireHolds:
    """Marks holds past their expiry as expired, in batches, and frees their seats and
    locks. Idempotent; safe to run from several workers (SKIP LOCKED)."""

    store: HoldStore
    locks: SeatLocks
    seat_map: SeatMap
    clock: Clock
    batch: int = 500

    def __call__(self) -> int:
        expired = 0
        while True:
            done = self.store.expire_due(now=self.clock.now(), batch=self.batch)
            for reservation in done:
                self.locks.release(
                    schedule_id=reservation.schedule_id,
                    seat_ids=reservation.seat_ids,
                    owner=lock_owner(reservation.user_id),
                )
                self.seat_map.seats_freed(
                    schedule_id=reservation.schedule_id, seat_ids=reservation.seat_ids
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

    store: HoldStore
    refunds: Refunds
    locks: SeatLocks
    seat_map: SeatMap
    clock: Clock
    batch: int = 200

    def __call__(self, *, schedule_id: int) -> int:
        done = 0
        while reservations := self.store.live_of_schedule(
            schedule_id=schedule_id, batch=self.batch
        ):
            for reservation in reservations:
                now = self.clock.now()
                try:
                    if reservation.status is ReservationStatus.CONFIRMED:
                        self.refunds.refund(reservation_id=reservation.id, user_id=None, now=now)
                    elif reservation.status_at(now) is ReservationStatus.EXPIRED:
                        self.store.expire_due(now=now, batch=self.batch)
                    else:
                        self.store.release_hold(
                            reservation_id=reservation.id, user_id=reservation.user_id, now=now
                        )
                except NotCancellable:
                    # Changed meanwhile (it expired, or the fan cancelled it): skip it, as
                    # long as it is no longer live, so that the next batch moves on.
                    current = self.store.get(
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
                self.seat_map.seats_freed(schedule_id=schedule_id, seat_ids=reservation.seat_ids)
                done += 1
        return done
