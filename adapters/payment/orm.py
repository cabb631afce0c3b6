"""Payments and refunds: each is one database transaction that moves points, seats and the
reservation together, with its outbox event."""

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction

from adapters.messaging.outbox import record_event
from adapters.reservation.orm import free_seats_of
from adapters.transactions import retry_lock_conflicts
from adapters.user.orm import OrmWalletLedger
from apps.concert.models import ScheduleRecord, SeatRecord
from apps.payment.models import IdempotencyKeyRecord, PaymentRecord
from apps.reservation.models import ReservationRecord
from domain.concert.model import SeatStatus
from domain.payment.model import (
    AlreadyPaid,
    IdempotencyInFlight,
    IdempotencyKeyReused,
    NotPayable,
    PaymentReceipt,
    PaymentStatus,
    ReservationExpired,
)
from domain.reservation.model import NotCancellable, ReservationNotFound, ReservationStatus
from domain.user.model import LedgerKind

IDEMPOTENCY_TTL = timedelta(hours=24)


def _locked_reservation(reservation_id: int, user_id: int | None) -> ReservationRecord:
    query = ReservationRecord.objects.select_for_update().filter(id=reservation_id)
    if user_id is not None:
        query = query.filter(user_id=user_id)
    record = query.first()
    if record is None:
        raise ReservationNotFound(f"there is no reservation {reservation_id}")
    return record


class OrmPaymentStore:
    @retry_lock_conflicts()
    def pay(self, *, user_id: int, reservation_id: int, now: datetime) -> PaymentReceipt:
        """Checks the hold before any point moves: a late payment changes nothing."""
        with transaction.atomic():
            reservation = _locked_reservation(reservation_id, user_id)
            if reservation.status == ReservationStatus.CONFIRMED.value:
                raise AlreadyPaid(f"reservation {reservation_id} is already paid")
            if reservation.status == ReservationStatus.EXPIRED.value or (
                reservation.status == ReservationStatus.HELD.value and reservation.expires_at <= now
            ):
                raise ReservationExpired(f"the hold on reservation {reservation_id} expired")
            if reservation.status != ReservationStatus.HELD.value:
                raise NotPayable(f"reservation {reservation_id} is {reservation.status}")
            entry = OrmWalletLedger().debit(
                user_id=user_id,
                amount=reservation.amount,
                kind=LedgerKind.PAYMENT,
                reference=f"reservation {reservation_id}",
            )
            sold = SeatRecord.objects.filter(
                reservation_id=reservation_id, status=SeatStatus.HELD.value
            ).update(status=SeatStatus.SOLD.value, held_until=None)
            if sold != len(reservation.seat_ids):
                # A seat went to someone else after the hold ran out: roll everything back.
                raise ReservationExpired(f"the hold on reservation {reservation_id} expired")
            payment = PaymentRecord.objects.create(
                user_id=user_id,
                reservation_id=reservation_id,
                amount=reservation.amount,
                created_at=now,
            )
            reservation.status = ReservationStatus.CONFIRMED.value
            reservation.payment_id = payment.id
            reservation.updated_at = now
            reservation.save(update_fields=["status", "payment_id", "updated_at"])
            record_event(
                event_type="payment.succeeded",
                aggregate_id=payment.id,
                schedule_id=reservation.schedule_id,
                payload={
                    "payment_id": payment.id,
                    "reservation_id": reservation_id,
                    "user_id": user_id,
                    "schedule_id": reservation.schedule_id,
                    "seat_ids": reservation.seat_ids,
                    "amount": reservation.amount,
                },
            )
        return PaymentReceipt(
            id=payment.id,
            reservation_id=reservation_id,
            amount=payment.amount,
            balance_after=entry.balance_after,
        )

    @retry_lock_conflicts()
    def refund(self, *, reservation_id: int, user_id: int | None, now: datetime) -> int:
        """Refunds a paid reservation in full and frees its seats; returns the points.
        `user_id` None is the operator's cancellation of a whole schedule."""
        with transaction.atomic():
            reservation = _locked_reservation(reservation_id, user_id)
            if reservation.status != ReservationStatus.CONFIRMED.value:
                raise NotCancellable(f"reservation {reservation_id} is {reservation.status}")
            schedule = ScheduleRecord.objects.get(id=reservation.schedule_id)
            refund_until = schedule.refund_until or schedule.starts_at
            if user_id is not None and now >= refund_until:
                raise NotCancellable("the refund window of this show has closed")
            payment = PaymentRecord.objects.select_for_update().get(reservation_id=reservation_id)
            OrmWalletLedger().credit(
                user_id=reservation.user_id,
                amount=payment.amount,
                kind=LedgerKind.REFUND,
                reference=f"reservation {reservation_id}",
            )
            payment.status = PaymentStatus.REFUNDED.value
            payment.refunded_at = now
            payment.save(update_fields=["status", "refunded_at"])
            free_seats_of(reservation_id, status=SeatStatus.SOLD)
            reservation.status = ReservationStatus.CANCELLED.value
            reservation.updated_at = now
            reservation.save(update_fields=["status", "updated_at"])
            payload = {
                "reservation_id": reservation_id,
                "payment_id": payment.id,
                "schedule_id": reservation.schedule_id,
                "seat_ids": reservation.seat_ids,
                "refunded": payment.amount,
            }
            record_event(
                event_type="reservation.cancelled",
                aggregate_id=reservation_id,
                schedule_id=reservation.schedule_id,
                payload=payload,
            )
            record_event(
                event_type="payment.refunded",
                aggregate_id=payment.id,
                schedule_id=reservation.schedule_id,
                payload=payload,
            )
        return payment.amount


class OrmIdempotencyStore:
    """Each key is claimed in its own committed row before the work starts, so a second
    request with the same key sees it at once, from any process."""

    def begin(
        self, *, user_id: int, key: str, fingerprint: str, now: datetime
    ) -> tuple[int, Any] | None:
        """None: the caller owns the key and must finish or abandon it. Otherwise the
        stored (status, body). Raises IdempotencyKeyReused or IdempotencyInFlight."""
        for _ in range(2):
            try:
                with transaction.atomic():
                    IdempotencyKeyRecord.objects.create(
                        user_id=user_id, key=key, fingerprint=fingerprint, created_at=now
                    )
                return None
            except IntegrityError:
                stored = IdempotencyKeyRecord.objects.filter(user_id=user_id, key=key).first()
                if stored is None:
                    continue  # abandoned meanwhile: claim it
                if stored.created_at < now - IDEMPOTENCY_TTL:
                    stored.delete()
                    continue
                if stored.fingerprint != fingerprint:
                    raise IdempotencyKeyReused("this key was used with another request") from None
                if stored.state != IdempotencyKeyRecord.DONE:
                    raise IdempotencyInFlight(
                        "the first request with this key is running"
                    ) from None
                return int(stored.response_status or 0), stored.response_body
        raise IdempotencyInFlight("the first request with this key is running")

    def finish(self, *, user_id: int, key: str, status: int, body: Any) -> None:
        IdempotencyKeyRecord.objects.filter(user_id=user_id, key=key).update(
            state=IdempotencyKeyRecord.DONE, response_status=status, response_body=body
        )

    def abandon(self, *, user_id: int, key: str) -> None:
        IdempotencyKeyRecord.objects.filter(
            user_id=user_id, key=key, state=IdempotencyKeyRecord.IN_FLIGHT
        ).delete()

    def forget_older_than(self, moment: datetime) -> int:
        deleted, _ = IdempotencyKeyRecord.objects.filter(created_at__lt=moment).delete()
        return deleted
