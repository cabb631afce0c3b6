"""Payments and refunds: each is one database transaction that moves points, seats and the
reservation together, with its outbox event."""

import json
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction

from adapters.db_time import from_db, to_db
from adapters.messaging.outbox import record_event
from adapters.reservation.orm import free_seats_of, locked_reservation
from adapters.transactions import retry_lock_conflicts
from adapters.user.orm import OrmWalletLedger
from apps.concert.models import ScheduleRecord
from apps.payment.models import IdempotencyKeyRecord, PaymentRecord
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


class OrmPaymentStore:
    @retry_lock_conflicts()
    def pay(self, *, user_id: int, reservation_id: int, now: datetime) -> PaymentReceipt:
        """Checks the hold before any point moves: a late payment changes nothing.
        Hand-written SQL, nine round trips: this is the busiest transaction of a sale."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT schedule_id, seat_ids, amount, status, expires_at FROM reservation "
                "WHERE id = %s AND user_id = %s FOR UPDATE",
                [reservation_id, user_id],
            )
            row = cursor.fetchone()
            if row is None:
                raise ReservationNotFound(f"there is no reservation {reservation_id}")
            schedule_id, seat_json, amount, status, expires_at = row
            seat_ids = json.loads(seat_json)
            if status == ReservationStatus.CONFIRMED.value:
                raise AlreadyPaid(f"reservation {reservation_id} is already paid")
            if status == ReservationStatus.EXPIRED.value or (
                status == ReservationStatus.HELD.value and from_db(expires_at) <= now
            ):
                raise ReservationExpired(f"the hold on reservation {reservation_id} expired")
            if status != ReservationStatus.HELD.value:
                raise NotPayable(f"reservation {reservation_id} is {status}")
            entry = OrmWalletLedger().debit(
                user_id=user_id,
                amount=amount,
                kind=LedgerKind.PAYMENT,
                reference=f"reservation {reservation_id}",
            )
            marks = ", ".join(["%s"] * len(seat_ids))
            cursor.execute(
                "UPDATE seat SET status = 'sold', held_until = NULL "
                f"WHERE id IN ({marks}) AND reservation_id = %s AND status = 'held'",
                [*seat_ids, reservation_id],
            )
            if cursor.rowcount != len(seat_ids):
                # A seat went to someone else after the hold ran out: roll everything back.
                raise ReservationExpired(f"the hold on reservation {reservation_id} expired")
            cursor.execute(
                "INSERT INTO payment (user_id, reservation_id, amount, status, created_at) "
                "VALUES (%s, %s, %s, 'succeeded', %s)",
                [user_id, reservation_id, amount, to_db(now)],
            )
            payment_id = int(cursor.lastrowid)
            cursor.execute(
                "UPDATE reservation SET status = 'confirmed', payment_id = %s, updated_at = %s "
                "WHERE id = %s",
                [payment_id, to_db(now), reservation_id],
            )
            record_event(
                event_type="payment.succeeded",
                aggregate_id=payment_id,
                schedule_id=schedule_id,
                payload={
                    "payment_id": payment_id,
                    "reservation_id": reservation_id,
                    "user_id": user_id,
                    "schedule_id": schedule_id,
                    "seat_ids": seat_ids,
                    "amount": amount,
                },
            )
        return PaymentReceipt(
            id=payment_id,
            reservation_id=reservation_id,
            amount=amount,
            balance_after=entry.balance_after,
            seat_ids=tuple(seat_ids),
        )

    @retry_lock_conflicts()
    def refund(self, *, reservation_id: int, user_id: int | None, now: datetime) -> int:
        """Refunds a paid reservation in full and frees its seats; returns the points.
        `user_id` None is the operator's cancellation of a whole schedule."""
        with transaction.atomic():
            reservation = locked_reservation(reservation_id, user_id)
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
            free_seats_of(reservation, status=SeatStatus.SOLD)
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
