"""The booking use cases on in-memory fakes (tests/fakes.py): holds, payments, cancellations,
refunds, expiry and the refund saga's step, checked in milliseconds without services.
The same rules against MariaDB, with real concurrency, are in tests/integration."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from domain.concert.events import ScheduleCancelled
from domain.concert.model import SaleClosed, SaleWindow, SeatStatus
from domain.concert.seat_map import PatchSeatMap
from domain.concert.usecases import CancelSchedule
from domain.payment.events import PaymentRefunded, PaymentSucceeded
from domain.payment.model import (
    AlreadyPaid,
    IdempotencyClaim,
    IdempotencyKeyReused,
    PaymentReceipt,
    PaymentStatus,
    ReservationExpired,
    StoredAnswer,
)
from domain.payment.usecases import PayForReservation, RefundPurchase
from domain.queue.model import NotAdmitted
from domain.reservation.events import HoldExpired, ReservationCancelled, SeatsHeld
from domain.reservation.model import (
    NotCancellable,
    ReservationStatus,
    SeatsBusy,
    SeatUnavailable,
    TooManySeats,
)
from domain.reservation.usecases import (
    CancelReservation,
    CancelScheduleReservations,
    ExpireHolds,
    HoldSeats,
    ReleaseHolds,
)
from domain.user.model import InsufficientBalance, LedgerKind
from tests.fakes import (
    NOW,
    FakeAnswers,
    FakeClock,
    FakeEvents,
    FakeHolds,
    FakePayments,
    FakeSeatLocks,
    FakeSeatMap,
    FakeSlots,
    FakeUnitOfWork,
    FakeWallets,
)

SHOW, OTHER_SHOW, FAN, RIVAL = 1, 2, 10, 11
SEATS = (101, 102, 103, 104, 105, 106)


def rendered(receipt: PaymentReceipt) -> StoredAnswer:
    return StoredAnswer(201, {"id": receipt.id, "amount": receipt.amount})


@dataclass
class Booking:
    """The booking use cases wired to one set of fakes."""

    clock: FakeClock = field(default_factory=FakeClock)
    holds: FakeHolds = field(default_factory=FakeHolds)
    wallets: FakeWallets = field(default_factory=FakeWallets)
    answers: FakeAnswers = field(default_factory=FakeAnswers)
    events: FakeEvents = field(default_factory=FakeEvents)
    locks: FakeSeatLocks = field(default_factory=FakeSeatLocks)
    slots: FakeSlots = field(default_factory=FakeSlots)

    def __post_init__(self) -> None:
        self.payments = FakePayments(self.holds, self.wallets, self.answers)
        self.uow = FakeUnitOfWork(
            self.holds, self.wallets, self.answers, self.events, self.payments
        )
        self.holds.add_show(SHOW, seats=SEATS[:4], price=1000)
        self.holds.add_show(OTHER_SHOW, seats=SEATS[4:], price=500)
        self.wallets.balances.update({FAN: 10_000, RIVAL: 10_000})
        reservation_parts: dict[str, Any] = {
            "uow": self.uow,
            "holds": self.holds,
            "events": self.events,
            "locks": self.locks,
            "clock": self.clock,
        }
        self.refund = RefundPurchase(
            uow=self.uow,
            payments=self.payments,
            holds=self.holds,
            wallets=self.wallets,
            events=self.events,
        )
        self.hold = HoldSeats(**reservation_parts, max_seats_per_fan=4)
        self.cancel = CancelReservation(**reservation_parts, refund=self.refund)
        self.expire = ExpireHolds(**reservation_parts)
        self.cancel_show = CancelScheduleReservations(**reservation_parts, refund=self.refund)
        self.release = ReleaseHolds(**reservation_parts)
        self.pay_use_case = PayForReservation(
            uow=self.uow,
            payments=self.payments,
            holds=self.holds,
            wallets=self.wallets,
            answers=self.answers,
            events=self.events,
            slots=self.slots,
            clock=self.clock,
        )

    def seat_map(self) -> FakeSeatMap:
        """The seat map after the committed events (the fake unit of work rolls back the
        events of a failed one), through the seat map's reaction to them."""
        shown = FakeSeatMap()
        for event in self.events.recorded:
            PatchSeatMap(shown)(event)
        return shown

    def pay(
        self, reservation_id: int, *, user: int = FAN, key: str = "k1", body: str = "b"
    ) -> PaymentReceipt | StoredAnswer:
        return self.pay_use_case(
            claim=IdempotencyClaim(user, key, body),
            reservation_id=reservation_id,
            schedule_id=SHOW,
            render=rendered,
        )

    def seat(self, seat_id: int) -> SeatStatus:
        return self.holds.seats[seat_id].status


@pytest.fixture
def booking() -> Booking:
    return Booking()


# --- holds ----------------------------------------------------------------------------------


def test_a_hold_takes_every_seat_announces_itself_and_shows_on_the_map(booking: Booking) -> None:
    held = booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[102, 101])
    assert held.seat_ids == (101, 102) and held.amount == 2000
    assert held.expires_at == NOW + timedelta(seconds=300)
    assert booking.seat(101) is booking.seat(102) is SeatStatus.HELD
    assert booking.events.types() == ["reservation.held"]
    assert booking.seat_map().shown == {101: SeatStatus.HELD, 102: SeatStatus.HELD}
    assert booking.uow.commits == 1


def test_a_taken_seat_fails_the_whole_hold_and_gives_the_locks_back(booking: Booking) -> None:
    booking.hold(user_id=RIVAL, schedule_id=SHOW, seat_ids=[102])
    booking.locks.owners.clear()  # Redis lost the rival's lock: the database still decides
    with pytest.raises(SeatUnavailable):
        booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[101, 102])
    assert booking.seat(101) is SeatStatus.AVAILABLE  # all or nothing
    assert len(booking.holds.reservations) == 1 and booking.uow.rollbacks == 1
    assert booking.locks.owners == {}


def test_a_seat_locked_in_redis_by_another_fan_is_refused_before_the_database(
    booking: Booking,
) -> None:
    booking.hold(user_id=RIVAL, schedule_id=SHOW, seat_ids=[102])
    with pytest.raises(SeatsBusy):
        booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[102])
    assert booking.uow.commits == 1  # the rival's only


def test_a_hold_lapses_at_its_expiry_exactly_and_its_seat_can_be_held_again(
    booking: Booking,
) -> None:
    first = booking.hold(user_id=RIVAL, schedule_id=SHOW, seat_ids=[101])
    booking.locks.owners.clear()
    booking.clock.current = first.expires_at - timedelta(microseconds=1)
    with pytest.raises(SeatUnavailable):
        booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[101])
    booking.clock.current = first.expires_at
    again = booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[101])
    assert booking.holds.seats[101].reservation_id == again.id


def test_a_fan_holds_at_most_the_limit_counting_live_holds_and_purchases(
    booking: Booking,
) -> None:
    paid = booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[101, 102])
    booking.pay(paid.id)
    booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[103])
    booking.holds.shows[SHOW].max_seats_per_fan = 3
    with pytest.raises(TooManySeats):
        booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[104])
    with pytest.raises(TooManySeats):
        booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=SEATS[:5])  # over the site's 4


def test_no_hold_outside_the_sale_or_on_another_shows_seats(booking: Booking) -> None:
    with pytest.raises(SeatUnavailable):
        booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[105])
    booking.holds.shows[SHOW].window = SaleWindow(
        opens_at=NOW + timedelta(hours=1), closes_at=NOW + timedelta(days=1)
    )
    with pytest.raises(SaleClosed):
        booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[101])
    assert booking.events.recorded == []


# --- payments -------------------------------------------------------------------------------


def test_a_payment_moves_points_and_seats_together(booking: Booking) -> None:
    held = booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[101, 102])
    receipt = booking.pay(held.id)
    assert isinstance(receipt, PaymentReceipt)
    assert receipt.amount == 2000 and receipt.balance_after == 8000
    assert booking.wallets.balances[FAN] == 8000
    assert [e.kind for e in booking.wallets.entries] == [LedgerKind.PAYMENT]
    assert booking.seat(101) is booking.seat(102) is SeatStatus.SOLD
    assert booking.holds.reservations[held.id].status is ReservationStatus.CONFIRMED
    assert booking.events.types() == ["reservation.held", "payment.succeeded"]
    assert booking.slots.released == [(SHOW, FAN)]
    assert booking.seat_map().shown[101] is SeatStatus.SOLD


def test_a_payment_at_the_holds_expiry_is_refused_and_moves_nothing(booking: Booking) -> None:
    held = booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[101])
    booking.clock.current = held.expires_at
    with pytest.raises(ReservationExpired):
        booking.pay(held.id)
    assert booking.wallets.balances[FAN] == 10_000 and booking.wallets.entries == []
    assert booking.events.types() == ["reservation.held"]
    assert booking.slots.released == []


def test_a_key_pays_once_and_replays_its_answer(booking: Booking) -> None:
    held = booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[101])
    first = booking.pay(held.id, key="once")
    replay = booking.pay(held.id, key="once")
    assert isinstance(first, PaymentReceipt) and isinstance(replay, StoredAnswer)
    assert replay.body == {"id": first.id, "amount": 1000}
    assert booking.wallets.balances[FAN] == 9000
    with pytest.raises(IdempotencyKeyReused):
        booking.pay(held.id, key="once", body="another body")
    with pytest.raises(AlreadyPaid):
        booking.pay(held.id, key="second")


def test_an_answer_stored_meanwhile_is_replayed_and_the_payment_rolls_back(
    booking: Booking,
) -> None:
    held = booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[101])
    booking.answers.meanwhile = StoredAnswer(409, {"code": "x"}, "b")
    answer = booking.pay(held.id, key="raced")
    assert answer == StoredAnswer(409, {"code": "x"}, "b")
    assert booking.wallets.balances[FAN] == 10_000 and booking.seat(101) is SeatStatus.HELD
    assert booking.events.types() == ["reservation.held"]


def test_an_answer_older_than_the_keys_lifetime_is_forgotten(booking: Booking) -> None:
    held = booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[101])
    booking.answers.answers[(FAN, "old")] = (StoredAnswer(402, {}, "b"), NOW - timedelta(days=2))
    assert isinstance(booking.pay(held.id, key="old"), PaymentReceipt)


def test_a_payment_needs_the_points_and_the_shows_access(booking: Booking) -> None:
    held = booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[101, 102])
    booking.wallets.balances[FAN] = 1999
    with pytest.raises(InsufficientBalance):
        booking.pay(held.id)
    assert booking.seat(101) is SeatStatus.HELD and booking.uow.rollbacks == 1
    with pytest.raises(NotAdmitted):
        booking.pay_use_case(
            claim=IdempotencyClaim(FAN, "k", "b"),
            reservation_id=held.id,
            schedule_id=OTHER_SHOW,
            render=rendered,
        )


def test_a_seat_lost_after_the_hold_lapsed_fails_the_payment(booking: Booking) -> None:
    held = booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[101])
    booking.holds.seats[101].reservation_id = 999  # taken by another hold meanwhile
    with pytest.raises(ReservationExpired):
        booking.pay(held.id)
    assert booking.wallets.balances[FAN] == 10_000  # the debit rolled back


# --- cancellations, refunds, expiry ------------------------------------------------------


def map_shows_the_seats(booking: Booking, seat_ids: Sequence[int]) -> bool:
    """The seat map, following the committed events, shows each seat as the database has it."""
    shown = booking.seat_map().shown
    return all(shown.get(seat) is booking.seat(seat) for seat in seat_ids)


def test_a_fan_releases_a_live_hold(booking: Booking) -> None:
    held = booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[101])
    cancelled = booking.cancel(reservation_id=held.id, user_id=FAN)
    assert cancelled.refunded == 0
    assert cancelled.reservation.status is ReservationStatus.CANCELLED
    assert booking.seat(101) is SeatStatus.AVAILABLE and booking.locks.owners == {}
    assert booking.events.recorded[-1].payload()["refunded"] == 0
    assert map_shows_the_seats(booking, [101])
    booking.clock.advance(1)
    with pytest.raises(NotCancellable):
        booking.cancel(reservation_id=held.id, user_id=FAN)


def test_a_purchase_is_refunded_in_full_inside_the_refund_window(booking: Booking) -> None:
    held = booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[101, 102])
    booking.pay(held.id)
    cancelled = booking.cancel(reservation_id=held.id, user_id=FAN)
    assert cancelled.refunded == 2000 and booking.wallets.balances[FAN] == 10_000
    assert [e.kind for e in booking.wallets.entries] == [LedgerKind.PAYMENT, LedgerKind.REFUND]
    assert booking.seat(101) is SeatStatus.AVAILABLE
    assert booking.payments.payments[1].status is PaymentStatus.REFUNDED
    assert booking.events.types()[-2:] == ["reservation.cancelled", "payment.refunded"]
    assert map_shows_the_seats(booking, [101, 102])  # freed by its reservation.cancelled


def test_the_refund_window_closes_at_its_time_for_fans_but_not_for_operators(
    booking: Booking,
) -> None:
    held = booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[101])
    booking.pay(held.id)
    booking.holds.shows[SHOW].refund_until = NOW + timedelta(hours=1)
    booking.clock.current = NOW + timedelta(hours=1)
    with pytest.raises(NotCancellable):
        booking.cancel(reservation_id=held.id, user_id=FAN)
    assert booking.wallets.balances[FAN] == 9000
    assert booking.refund(reservation_id=held.id, user_id=None, now=booking.clock.now()) == 1000
    with pytest.raises(NotCancellable):  # refunded once
        booking.refund(reservation_id=held.id, user_id=None, now=booking.clock.now())


def test_expiry_ends_lapsed_holds_once_and_frees_their_seats(booking: Booking) -> None:
    lapsing = booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[101])
    booking.clock.advance(100)
    booking.hold(user_id=RIVAL, schedule_id=SHOW, seat_ids=[102])
    booking.clock.current = lapsing.expires_at
    assert booking.expire() == 1
    assert booking.expire() == 0
    assert booking.holds.reservations[lapsing.id].status is ReservationStatus.EXPIRED
    assert booking.seat(101) is SeatStatus.AVAILABLE and booking.seat(102) is SeatStatus.HELD
    assert booking.events.types()[-1] == "reservation.expired"
    assert (SHOW, 101) not in booking.locks.owners
    assert map_shows_the_seats(booking, [101, 102])


def test_an_operator_releases_stuck_holds_but_not_purchases(booking: Booking) -> None:
    stuck = booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[101])
    paid = booking.hold(user_id=RIVAL, schedule_id=SHOW, seat_ids=[102])
    booking.pay(paid.id, user=RIVAL)
    released, refused = booking.release(reservation_ids=[stuck.id, paid.id])
    assert [r.id for r in released] == [stuck.id] and list(refused) == [paid.id]
    assert booking.seat(101) is SeatStatus.AVAILABLE and booking.seat(102) is SeatStatus.SOLD
    assert map_shows_the_seats(booking, [101, 102])


def test_a_cancelled_show_refunds_every_purchase_and_frees_every_hold_once(
    booking: Booking,
) -> None:
    lapsed = booking.hold(user_id=RIVAL, schedule_id=SHOW, seat_ids=[104])
    booking.clock.advance(10)
    paid = booking.hold(user_id=FAN, schedule_id=SHOW, seat_ids=[101, 102])
    booking.pay(paid.id)
    booking.hold(user_id=RIVAL, schedule_id=SHOW, seat_ids=[103])
    other = booking.hold(user_id=RIVAL, schedule_id=OTHER_SHOW, seat_ids=[105])
    booking.holds.shows[SHOW].refund_until = NOW  # closed for fans; the operator refunds anyway
    booking.clock.current = lapsed.expires_at
    assert booking.cancel_show(schedule_id=SHOW) == 3
    assert booking.cancel_show(schedule_id=SHOW) == 0
    assert booking.wallets.balances[FAN] == 10_000
    assert all(booking.seat(s) is SeatStatus.AVAILABLE for s in SEATS[:4])
    assert booking.holds.reservations[other.id].status is ReservationStatus.HELD
    assert booking.events.types().count("payment.refunded") == 1
    assert map_shows_the_seats(booking, SEATS[:5])


def test_a_show_is_cancelled_once_and_announces_it_once() -> None:
    class FakeSchedules:
        def __init__(self) -> None:
            self.cancelled: set[int] = set()

        def cancel(self, *, schedule_id: int) -> int | None:
            if schedule_id in self.cancelled:
                return None
            self.cancelled.add(schedule_id)
            return 77  # the concert

    schedules, events = FakeSchedules(), FakeEvents()
    cancel = CancelSchedule(
        uow=FakeUnitOfWork(schedules, events), schedules=schedules, events=events
    )
    assert cancel(schedule_id=SHOW) is True
    assert cancel(schedule_id=SHOW) is False
    assert [e.payload() for e in events.recorded] == [{"schedule_id": SHOW, "concert_id": 77}]


def test_the_seat_map_reacts_to_each_booking_event_and_to_nothing_else() -> None:
    shown = FakeSeatMap()
    patch = PatchSeatMap(shown)
    patch(
        SeatsHeld(
            schedule_id=SHOW,
            reservation_id=1,
            user_id=FAN,
            seat_ids=(101, 102),
            amount=2000,
            expires_at=NOW,
        )
    )
    patch(
        PaymentSucceeded(
            schedule_id=SHOW,
            payment_id=1,
            reservation_id=1,
            user_id=FAN,
            seat_ids=(101,),
            amount=1000,
        )
    )
    patch(HoldExpired(schedule_id=SHOW, reservation_id=2, seat_ids=(102,)))
    assert shown.shown == {101: SeatStatus.SOLD, 102: SeatStatus.AVAILABLE}
    patch(ReservationCancelled(schedule_id=SHOW, reservation_id=1, seat_ids=(101,), refunded=1000))
    patch(
        PaymentRefunded(
            schedule_id=SHOW, reservation_id=1, payment_id=1, seat_ids=(101,), refunded=1000
        )
    )
    assert shown.shown == {101: SeatStatus.AVAILABLE, 102: SeatStatus.AVAILABLE}
    patch(ScheduleCancelled(schedule_id=SHOW, concert_id=1))  # nothing to show
    assert shown.shown == {101: SeatStatus.AVAILABLE, 102: SeatStatus.AVAILABLE}
