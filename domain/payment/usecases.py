from dataclasses import dataclass
from datetime import datetime

from domain.events import EventLog
from domain.payment.events import PaymentRefunded, PaymentSucceeded
from domain.payment.model import (
    IdempotencyClaim,
    KeyAnsweredMeanwhile,
    PaymentReceipt,
    ReservationExpired,
    StoredAnswer,
    answer_stored_first,
)
from domain.payment.ports import ActiveSlots, IdempotencyStore, Payments, RenderReceipt
from domain.reservation.events import ReservationCancelled
from domain.reservation.model import NotCancellable, ReservationStatus
from domain.reservation.ports import Clock, Holds
from domain.unit_of_work import UnitOfWork
from domain.user.model import LedgerKind
from domain.user.ports import WalletLedger


@dataclass(frozen=True, kw_only=True)
class PayForReservation:
    """Pays for the fan's hold with points.

    Guarantees: points move only together with the seats being sold (one unit of work); a
    hold that lapsed before the payment is refused before any point moves; a reservation
    is paid at most once; the key's answer commits with the payment, so a key answers
    the same whatever crashes; after commit the fan's waiting-room slot is released and the
    seat map shows the seats sold (its reaction to PaymentSucceeded). A key that already
    has an answer gets it back (StoredAnswer), and nothing else happens.
    """

    uow: UnitOfWork
    payments: Payments
    holds: Holds
    wallets: WalletLedger
    answers: IdempotencyStore
    events: EventLog
    slots: ActiveSlots
    clock: Clock

    def __call__(
        self,
        *,
        claim: IdempotencyClaim,
        reservation_id: int,
        schedule_id: int,
        render: RenderReceipt,
    ) -> PaymentReceipt | StoredAnswer:
        now = self.clock.now()
        try:
            outcome = self.uow.run(
                lambda: self._pay(claim, reservation_id, schedule_id, render, now)
            )
        except KeyAnsweredMeanwhile:
            return answer_stored_first(self.answers.stored(claim, now=now)).for_claim(claim)
        if isinstance(outcome, PaymentReceipt):
            self.slots.release(schedule_id=schedule_id, user_id=claim.user_id)
        return outcome

    def _pay(
        self,
        claim: IdempotencyClaim,
        reservation_id: int,
        schedule_id: int,
        render: RenderReceipt,
        now: datetime,
    ) -> PaymentReceipt | StoredAnswer:
        terms = self.payments.terms(claim=claim, reservation_id=reservation_id)
        if (replayed := terms.replay(claim, now=now)) is not None:
            return replayed
        if terms.answer is not None:
            self.answers.forget(claim)  # outlived the key's lifetime
        balance = terms.check_payable(schedule_id=schedule_id, now=now)
        reservation = terms.reservation
        entry = self.wallets.debit_locked(
            user_id=claim.user_id,
            amount=reservation.amount,
            balance=balance,
            kind=LedgerKind.PAYMENT,
            reference=f"reservation {reservation_id}",
        )
        sold = self.holds.sell_seats(reservation_id=reservation_id, seat_ids=reservation.seat_ids)
        if sold != len(reservation.seat_ids):
            # A seat went to someone else after the hold lapsed: everything rolls back.
            raise ReservationExpired(f"the hold on reservation {reservation_id} expired")
        payment_id = self.payments.add(
            user_id=claim.user_id, reservation_id=reservation_id, amount=reservation.amount, now=now
        )
        self.holds.confirm(reservation_id=reservation_id, payment_id=payment_id, now=now)
        self.events.record(
            PaymentSucceeded(
                payment_id=payment_id,
                reservation_id=reservation_id,
                user_id=claim.user_id,
                schedule_id=reservation.schedule_id,
                seat_ids=reservation.seat_ids,
                amount=reservation.amount,
            )
        )
        receipt = PaymentReceipt(
            id=payment_id,
            reservation_id=reservation_id,
            amount=reservation.amount,
            balance_after=entry.balance_after,
            seat_ids=reservation.seat_ids,
        )
        # Last, so that a key answered meanwhile rolls the payment back.
        self.answers.store(claim, render(receipt), now=now)
        return receipt


@dataclass(frozen=True, kw_only=True)
class RefundPurchase:
    """Refunds a paid reservation in full: the points back with a ledger entry, the payment
    marked refunded, the seats back on sale, the reservation cancelled, and both events,
    in one unit of work. A fan (`user_id`) only within the show's refund window; an
    operator's cancellation of the show (`user_id` None) always. Returns the points.
    Raises NotCancellable when the reservation is not a purchase."""

    uow: UnitOfWork
    payments: Payments
    holds: Holds
    wallets: WalletLedger
    events: EventLog

    def __call__(self, *, reservation_id: int, user_id: int | None, now: datetime) -> int:
        return self.uow.run(lambda: self._refund(reservation_id, user_id, now))

    def _refund(self, reservation_id: int, user_id: int | None, now: datetime) -> int:
        reservation = self.holds.locked(reservation_id=reservation_id, user_id=user_id)
        if reservation.status is not ReservationStatus.CONFIRMED:
            raise NotCancellable(f"reservation {reservation_id} is {reservation.status}")
        self.payments.refund_window(schedule_id=reservation.schedule_id).check(
            now=now, by_operator=user_id is None
        )
        payment_id, amount = self.payments.locked_of(reservation_id=reservation_id)
        self.wallets.credit(
            user_id=reservation.user_id,
            amount=amount,
            kind=LedgerKind.REFUND,
            reference=f"reservation {reservation_id}",
        )
        self.payments.mark_refunded(payment_id=payment_id, now=now)
        self.holds.end(reservation, status=ReservationStatus.CANCELLED, now=now)
        refunded = ReservationCancelled(
            reservation_id=reservation_id,
            payment_id=payment_id,
            schedule_id=reservation.schedule_id,
            seat_ids=reservation.seat_ids,
            refunded=amount,
        )
        self.events.record(refunded)
        self.events.record(
            PaymentRefunded(
                reservation_id=reservation_id,
                payment_id=payment_id,
                schedule_id=reservation.schedule_id,
                seat_ids=reservation.seat_ids,
                refunded=amount,
            )
        )
        return amount
