"""In-memory fakes of the booking ports, for use-case tests that need no services.

They keep the rules the real adapters keep in SQL (a seat is taken only when free or its
hold lapsed; a wallet debit needs the balance), so that a use case's outcome can be
checked in milliseconds. The fake unit of work restores every fake it guards when the work
raises, as a rolled-back transaction would.
"""

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from domain.concert.model import SaleWindow, ScheduleNotFound, SeatStatus, hold_has_lapsed
from domain.events import DomainEvent
from domain.payment.model import (
    IdempotencyClaim,
    KeyAnsweredMeanwhile,
    PaymentStatus,
    PaymentTerms,
    RefundWindow,
    StoredAnswer,
)
from domain.reservation.model import (
    FanGate,
    HoldTerms,
    Reservation,
    ReservationNotFound,
    ReservationStatus,
    SeatsBusy,
)
from domain.user.model import InsufficientBalance, LedgerEntry, LedgerKind, WalletNotFound

T = TypeVar("T")
NOW = datetime(2026, 6, 1, 19, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class FakeUnitOfWork:
    def __init__(self, *guarded: object) -> None:
        self.guarded = guarded
        self.commits = 0
        self.rollbacks = 0

    def run(self, work: Callable[[], T]) -> T:
        saved = [copy.deepcopy(vars(store)) for store in self.guarded]
        try:
            result = work()
        except BaseException:
            for store, state in zip(self.guarded, saved, strict=True):
                vars(store).clear()
                vars(store).update(state)
            self.rollbacks += 1
            raise
        self.commits += 1
        return result


@dataclass
class FakeSeat:
    schedule_id: int
    price: int
    status: SeatStatus = SeatStatus.AVAILABLE
    reservation_id: int | None = None
    held_until: datetime | None = None


@dataclass
class FakeShow:
    window: SaleWindow
    hold_seconds: int = 300
    max_seats_per_fan: int = 4
    starts_at: datetime = NOW + timedelta(days=30)
    refund_until: datetime | None = None


class FakeHolds:
    def __init__(self) -> None:
        self.shows: dict[int, FakeShow] = {}
        self.seats: dict[int, FakeSeat] = {}
        self.reservations: dict[int, Reservation] = {}

    def add_show(
        self, schedule_id: int, *, seats: Sequence[int], price: int = 1000, **terms: Any
    ) -> None:
        window = terms.pop(
            "window",
            SaleWindow(opens_at=NOW - timedelta(hours=1), closes_at=NOW + timedelta(days=1)),
        )
        self.shows[schedule_id] = FakeShow(window=window, **terms)
        for seat_id in seats:
            self.seats[seat_id] = FakeSeat(schedule_id=schedule_id, price=price)

    def terms(
        self, *, user_id: int, schedule_id: int, seat_ids: tuple[int, ...], now: datetime
    ) -> HoldTerms:
        show = self.shows.get(schedule_id)
        if show is None:
            raise ScheduleNotFound(f"there is no schedule {schedule_id}")
        mine = [s for s in seat_ids if s in self.seats and self.seats[s].schedule_id == schedule_id]
        has = sum(
            len(r.seat_ids)
            for r in self.reservations.values()
            if r.user_id == user_id
            and r.schedule_id == schedule_id
            and (r.status is ReservationStatus.CONFIRMED or r.is_live_hold(now))
        )
        return HoldTerms(
            window=show.window,
            hold_seconds=show.hold_seconds,
            max_seats_per_fan=show.max_seats_per_fan,
            seats_found=len(mine),
            price=sum(self.seats[s].price for s in mine),
            seats_the_fan_has=has,
        )

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
        reservation_id = len(self.reservations) + 1
        self.reservations[reservation_id] = Reservation(
            id=reservation_id,
            user_id=user_id,
            schedule_id=schedule_id,
            seat_ids=seat_ids,
            amount=amount,
            status=ReservationStatus.HELD,
            expires_at=expires_at,
        )
        return reservation_id

    def take_seats(
        self,
        *,
        reservation_id: int,
        schedule_id: int,
        seat_ids: tuple[int, ...],
        held_until: datetime,
        now: datetime,
    ) -> int:
        taken = 0
        for seat_id in seat_ids:
            seat = self.seats.get(seat_id)
            if seat is None or seat.schedule_id != schedule_id:
                continue
            free = seat.status is SeatStatus.AVAILABLE or (
                seat.status is SeatStatus.HELD
                and seat.held_until is not None
                and hold_has_lapsed(seat.held_until, now)
            )
            if free:
                seat.status, seat.reservation_id, seat.held_until = (
                    SeatStatus.HELD,
                    reservation_id,
                    held_until,
                )
                taken += 1
        return taken

    def get(self, *, reservation_id: int, user_id: int | None) -> Reservation:
        reservation = self.reservations.get(reservation_id)
        if reservation is None or (user_id is not None and reservation.user_id != user_id):
            raise ReservationNotFound(f"there is no reservation {reservation_id}")
        return reservation

    locked = get

    def lapsed(self, *, now: datetime, batch: int) -> list[Reservation]:
        due = [
            r
            for r in self.reservations.values()
            if r.status is ReservationStatus.HELD and hold_has_lapsed(r.expires_at, now)
        ]
        return sorted(due, key=lambda r: r.id)[:batch]

    def end(self, reservation: Reservation, *, status: ReservationStatus, now: datetime) -> None:
        seats_were = (
            SeatStatus.SOLD
            if reservation.status is ReservationStatus.CONFIRMED
            else SeatStatus.HELD
        )
        for seat_id in reservation.seat_ids:
            seat = self.seats[seat_id]
            if seat.reservation_id == reservation.id and seat.status is seats_were:
                seat.status, seat.reservation_id, seat.held_until = SeatStatus.AVAILABLE, None, None
        self.reservations[reservation.id] = replace(reservation, status=status)

    def confirm(self, *, reservation_id: int, payment_id: int, now: datetime) -> None:
        self.reservations[reservation_id] = replace(
            self.reservations[reservation_id],
            status=ReservationStatus.CONFIRMED,
            payment_id=payment_id,
        )

    def sell_seats(self, *, reservation_id: int, seat_ids: tuple[int, ...]) -> int:
        sold = 0
        for seat_id in seat_ids:
            seat = self.seats[seat_id]
            if seat.reservation_id == reservation_id and seat.status is SeatStatus.HELD:
                seat.status, seat.held_until = SeatStatus.SOLD, None
                sold += 1
        return sold

    def live_of_schedule(self, *, schedule_id: int, batch: int) -> list[Reservation]:
        live = [
            r
            for r in self.reservations.values()
            if r.schedule_id == schedule_id
            and r.status in (ReservationStatus.HELD, ReservationStatus.CONFIRMED)
        ]
        return sorted(live, key=lambda r: r.id)[:batch]


class FakeWallets:
    def __init__(self) -> None:
        self.balances: dict[int, int] = {}
        self.entries: list[LedgerEntry] = []

    def _move(self, user_id: int, signed: int, kind: LedgerKind, reference: str) -> LedgerEntry:
        if user_id not in self.balances:
            raise WalletNotFound(f"user {user_id} has no wallet")
        if self.balances[user_id] + signed < 0:
            raise InsufficientBalance("the wallet does not cover it")
        self.balances[user_id] += signed
        entry = LedgerEntry(
            len(self.entries) + 1,
            user_id,
            kind,
            abs(signed),
            self.balances[user_id],
            reference,
            NOW,
        )
        self.entries.append(entry)
        return entry

    def credit(self, *, user_id: int, amount: int, kind: LedgerKind, reference: str) -> LedgerEntry:
        return self._move(user_id, amount, kind, reference)

    def debit(self, *, user_id: int, amount: int, kind: LedgerKind, reference: str) -> LedgerEntry:
        return self._move(user_id, -amount, kind, reference)

    def debit_locked(
        self, *, user_id: int, amount: int, balance: int, kind: LedgerKind, reference: str
    ) -> LedgerEntry:
        assert balance == self.balances[user_id], "the balance read under the lock"
        return self._move(user_id, -amount, kind, reference)


@dataclass
class FakePayment:
    reservation_id: int
    amount: int
    status: PaymentStatus = PaymentStatus.SUCCEEDED


class FakeAnswers:
    def __init__(self) -> None:
        self.answers: dict[tuple[int, str], tuple[StoredAnswer, datetime]] = {}
        # Set by a test: an answer another request stores while this payment runs.
        self.meanwhile: StoredAnswer | None = None

    def stored(self, claim: IdempotencyClaim, *, now: datetime) -> StoredAnswer | None:
        found = self.answers.get((claim.user_id, claim.key))
        return self.meanwhile if found is None else found[0]

    def forget(self, claim: IdempotencyClaim) -> None:
        self.answers.pop((claim.user_id, claim.key), None)

    def store(self, claim: IdempotencyClaim, answer: StoredAnswer, *, now: datetime) -> None:
        if self.meanwhile is not None:
            raise KeyAnsweredMeanwhile(claim.key)
        if (claim.user_id, claim.key) in self.answers:
            raise KeyAnsweredMeanwhile(claim.key)
        self.answers[(claim.user_id, claim.key)] = (
            StoredAnswer(answer.status, answer.body, claim.fingerprint),
            now,
        )

    def record(
        self, claim: IdempotencyClaim, answer: StoredAnswer, *, now: datetime
    ) -> StoredAnswer:
        found = self.answers.setdefault(
            (claim.user_id, claim.key),
            (StoredAnswer(answer.status, answer.body, claim.fingerprint), now),
        )
        return found[0]


class FakePayments:
    def __init__(self, holds: FakeHolds, wallets: FakeWallets, answers: FakeAnswers) -> None:
        self.holds, self.wallets, self.answers = holds, wallets, answers
        self.payments: dict[int, FakePayment] = {}

    def terms(self, *, claim: IdempotencyClaim, reservation_id: int) -> PaymentTerms:
        reservation = self.holds.get(reservation_id=reservation_id, user_id=claim.user_id)
        stored = self.answers.answers.get((claim.user_id, claim.key))
        return PaymentTerms(
            reservation=reservation,
            balance=self.wallets.balances.get(claim.user_id),
            answer=None if stored is None else stored[0],
            answered_at=None if stored is None else stored[1],
        )

    def add(self, *, user_id: int, reservation_id: int, amount: int, now: datetime) -> int:
        payment_id = len(self.payments) + 1
        self.payments[payment_id] = FakePayment(reservation_id, amount)
        return payment_id

    def locked_of(self, *, reservation_id: int) -> tuple[int, int]:
        [(payment_id, payment)] = [
            (i, p) for i, p in self.payments.items() if p.reservation_id == reservation_id
        ]
        return payment_id, payment.amount

    def mark_refunded(self, *, payment_id: int, now: datetime) -> None:
        self.payments[payment_id].status = PaymentStatus.REFUNDED

    def refund_window(self, *, schedule_id: int) -> RefundWindow:
        show = self.holds.shows[schedule_id]
        return RefundWindow(starts_at=show.starts_at, refund_until=show.refund_until)


class FakeEvents:
    def __init__(self) -> None:
        self.recorded: list[DomainEvent] = []

    def record(self, event: DomainEvent) -> None:
        self.recorded.append(event)

    def types(self) -> list[str]:
        return [event.type for event in self.recorded]


class FakeSeatLocks:
    """Redis's fail-fast locks: a seat locked by another owner is busy."""

    def __init__(self) -> None:
        self.owners: dict[tuple[int, int], str] = {}

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
        if any(self.owners.get((schedule_id, s), owner) != owner for s in seat_ids):
            raise SeatsBusy("another fan is holding these seats")
        for seat_id in seat_ids:
            self.owners[(schedule_id, seat_id)] = owner

    def release(self, *, schedule_id: int, seat_ids: tuple[int, ...], owner: str) -> None:
        for seat_id in seat_ids:
            if self.owners.get((schedule_id, seat_id)) == owner:
                del self.owners[(schedule_id, seat_id)]


@dataclass
class FakeSeatMap:
    shown: dict[int, SeatStatus] = field(default_factory=dict)

    def seats_held(self, *, schedule_id: int, seat_ids: Sequence[int]) -> None:
        self.shown.update(dict.fromkeys(seat_ids, SeatStatus.HELD))

    def seats_freed(self, *, schedule_id: int, seat_ids: Sequence[int]) -> None:
        self.shown.update(dict.fromkeys(seat_ids, SeatStatus.AVAILABLE))

    def seats_sold(self, *, schedule_id: int, seat_ids: Sequence[int]) -> None:
        self.shown.update(dict.fromkeys(seat_ids, SeatStatus.SOLD))


@dataclass
class FakeSlots:
    released: list[tuple[int, int]] = field(default_factory=list)

    def release(self, *, schedule_id: int, user_id: int) -> None:
        self.released.append((schedule_id, user_id))
