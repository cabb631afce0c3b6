"""Builds the payment module's use cases, once per process."""

from contextlib import suppress
from functools import cache

from adapters.clock import SystemClock
from adapters.payment.orm import OrmIdempotencyStore, OrmPayments
from adapters.transactions import DatabaseUnitOfWork
from apps.queue.wiring import leave_queue
from apps.reservation.wiring import booking_events, holds
from apps.user.wiring import wallet_ledger
from domain.payment.usecases import PayForReservation, RefundPurchase
from domain.queue.model import QueueUnavailable


class WaitingRoomSlots:
    """domain.payment.ports.ActiveSlots on the waiting room."""

    def release(self, *, schedule_id: int, user_id: int) -> None:
        # If Redis is down the slot runs out by itself (active_ttl).
        with suppress(QueueUnavailable):
            leave_queue()(schedule_id=schedule_id, user_id=user_id)


@cache
def idempotency_store() -> OrmIdempotencyStore:
    return OrmIdempotencyStore()


@cache
def pay_for_reservation() -> PayForReservation:
    return PayForReservation(
        uow=DatabaseUnitOfWork(),
        payments=OrmPayments(),
        holds=holds(),
        wallets=wallet_ledger(),
        answers=idempotency_store(),
        events=booking_events(),
        slots=WaitingRoomSlots(),
        clock=SystemClock(),
    )


@cache
def refund_purchase() -> RefundPurchase:
    return RefundPurchase(
        uow=DatabaseUnitOfWork(),
        payments=OrmPayments(),
        holds=holds(),
        wallets=wallet_ledger(),
        events=booking_events(),
    )
