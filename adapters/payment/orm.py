"""Payments and refunds: each is one database transaction that moves points, seats and the
reservation together, with its outbox event."""

import functools
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ParamSpec, cast

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction

from adapters.db_time import from_db, to_db
from adapters.messaging.outbox import record_event
from adapters.reservation.orm import free_seats_of, locked_reservation
from adapters.transactions import retry_lock_conflicts
from adapters.user.orm import OrmWalletLedger, WalletNotFound
from apps.concert.models import ScheduleRecord
from apps.payment.models import IdempotencyKeyRecord, PaymentRecord
from domain.concert.model import SeatStatus
from domain.payment.model import (
    AlreadyPaid,
    IdempotencyClaim,
    IdempotencyInFlight,
    NotPayable,
    PaymentReceipt,
    PaymentStatus,
    ReservationExpired,
    StoredAnswer,
)
from domain.payment.ports import RenderReceipt
from domain.queue.model import NotAdmitted
from domain.reservation.model import NotCancellable, ReservationNotFound, ReservationStatus
from domain.user.model import LedgerKind

IDEMPOTENCY_TTL = timedelta(hours=24)


# One statement finds everything the payment decides on, and locks it: the reservation (its
# schedule is checked against the access token's), the wallet, and the key's stored answer.
# READ COMMITTED: a locking read sees the latest committed rows and takes no gap locks.
PAYMENT_CONTEXT = (
    "SELECT r.schedule_id, r.seat_ids, r.amount, r.status, r.expires_at, w.balance, "
    "k.fingerprint, k.response_status, k.response_body, k.created_at "
    "FROM reservation r "
    "LEFT JOIN wallet w ON w.user_id = r.user_id "
    "LEFT JOIN idempotency_key k ON k.user_id = r.user_id AND k.`key` = %s "
    "WHERE r.id = %s AND r.user_id = %s FOR UPDATE"
)

P = ParamSpec("P")


def replaying_answers_stored_meanwhile(
    pay: Callable[P, PaymentReceipt | StoredAnswer],
) -> Callable[P, PaymentReceipt | StoredAnswer]:
    """The key got an answer from a request that committed first (the same key on another
    reservation, or a refusal stored meanwhile): everything rolled back, that answer is
    replayed."""

    @functools.wraps(pay)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> PaymentReceipt | StoredAnswer:
        try:
            return pay(*args, **kwargs)
        except IntegrityError:
            claim = cast(IdempotencyClaim, kwargs["claim"])
            stored = OrmIdempotencyStore().stored(claim, now=cast(datetime, kwargs["now"]))
            if stored is None:
                raise IdempotencyInFlight("the first request with this key is running") from None
            return stored.for_claim(claim)

    return wrapped


class OrmPaymentStore:
    @replaying_answers_stored_meanwhile
    @retry_lock_conflicts()
    def pay(
        self,
        *,
        claim: IdempotencyClaim,
        reservation_id: int,
        schedule_id: int,
        now: datetime,
        render: RenderReceipt,
    ) -> PaymentReceipt | StoredAnswer:
        """Checks the hold before any point moves: a late payment changes nothing.
        Hand-written SQL, eight round trips: this is the busiest transaction of a sale."""
        user_id = claim.user_id
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(PAYMENT_CONTEXT, [claim.key, reservation_id, user_id])
            row = cursor.fetchone()
            if row is None:
                raise ReservationNotFound(f"there is no reservation {reservation_id}")
            held_for, seat_json, amount, status, expires_at, balance, *key_row = row
            fingerprint, answer_status, answer_body, answered_at = key_row
            if fingerprint is not None:
                if from_db(answered_at) >= now - IDEMPOTENCY_TTL:
                    return StoredAnswer(
                        int(answer_status), json.loads(answer_body), fingerprint
                    ).for_claim(claim)
                cursor.execute(
                    "DELETE FROM idempotency_key WHERE user_id = %s AND `key` = %s",
                    [user_id, claim.key],
                )
            if held_for != schedule_id:
                raise NotAdmitted("the access token is for another schedule")
            seat_ids = json.loads(seat_json)
            if status == ReservationStatus.CONFIRMED.value:
                raise AlreadyPaid(f"reservation {reservation_id} is already paid")
            if status == ReservationStatus.EXPIRED.value or (
                status == ReservationStatus.HELD.value and from_db(expires_at) <= now
            ):
                raise ReservationExpired(f"the hold on reservation {reservation_id} expired")
            if status != ReservationStatus.HELD.value:
                raise NotPayable(f"reservation {reservation_id} is {status}")
            if balance is None:
                raise WalletNotFound(f"user {user_id} has no wallet")
            entry = OrmWalletLedger().debit_locked(
                cursor,
                user_id=user_id,
                amount=amount,
                balance=int(balance),
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
                schedule_id=held_for,
                payload={
                    "payment_id": payment_id,
                    "reservation_id": reservation_id,
                    "user_id": user_id,
                    "schedule_id": held_for,
                    "seat_ids": seat_ids,
                    "amount": amount,
                },
            )
            receipt = PaymentReceipt(
                id=payment_id,
                reservation_id=reservation_id,
                amount=amount,
                balance_after=entry.balance_after,
                seat_ids=tuple(seat_ids),
            )
            # Last, so that a key taken meanwhile (IntegrityError) rolls the payment back.
            insert_answer(cursor, claim, render(receipt), now=now)
        return receipt

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


def insert_answer(
    cursor: Any, claim: IdempotencyClaim, answer: StoredAnswer, *, now: datetime
) -> None:
    cursor.execute(
        "INSERT INTO idempotency_key (user_id, `key`, fingerprint, state, response_status, "
        "response_body, created_at) VALUES (%s, %s, %s, 'done', %s, %s, %s)",
        [
            claim.user_id,
            claim.key,
            claim.fingerprint,
            answer.status,
            json.dumps(answer.body, cls=DjangoJSONEncoder),
            to_db(now),
        ],
    )


class OrmIdempotencyStore:
    """The answers given to idempotency keys. A payment writes its own in its transaction;
    this stores final refusals and finds answers to replay. Keys last IDEMPOTENCY_TTL."""

    def stored(self, claim: IdempotencyClaim, *, now: datetime) -> StoredAnswer | None:
        row = (
            IdempotencyKeyRecord.objects.filter(
                user_id=claim.user_id, key=claim.key, created_at__gte=now - IDEMPOTENCY_TTL
            )
            .values_list("response_status", "response_body", "fingerprint")
            .first()
        )
        return None if row is None else StoredAnswer(int(row[0] or 0), row[1], row[2])

    def record(
        self, claim: IdempotencyClaim, answer: StoredAnswer, *, now: datetime
    ) -> StoredAnswer:
        IdempotencyKeyRecord.objects.filter(
            user_id=claim.user_id, key=claim.key, created_at__lt=now - IDEMPOTENCY_TTL
        ).delete()
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                insert_answer(cursor, claim, answer, now=now)
        except IntegrityError:
            first = self.stored(claim, now=now)
            if first is None:
                raise IdempotencyInFlight("the first request with this key is running") from None
            return first
        return StoredAnswer(answer.status, answer.body, claim.fingerprint)

    def forget_older_than(self, moment: datetime) -> int:
        deleted, _ = IdempotencyKeyRecord.objects.filter(created_at__lt=moment).delete()
        return deleted
