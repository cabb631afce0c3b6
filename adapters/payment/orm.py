"""Payments and the answers given to idempotency keys, in the database, inside the caller's
unit of work."""

import json
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction

from adapters.db_time import from_db, to_db
from adapters.transactions import require_unit_of_work, unit_of_work_cursor
from apps.concert.models import ScheduleRecord
from apps.payment.models import IdempotencyKeyRecord, PaymentRecord
from domain.payment.model import (
    IDEMPOTENCY_TTL,
    IdempotencyClaim,
    KeyAnsweredMeanwhile,
    PaymentStatus,
    PaymentTerms,
    RefundWindow,
    StoredAnswer,
    answer_stored_first,
)
from domain.reservation.model import Reservation, ReservationNotFound, ReservationStatus

# One statement finds everything the payment decides on, and locks it: the reservation (its
# schedule is checked against the access token's), the wallet, and the key's stored answer.
# READ COMMITTED: a locking read sees the latest committed rows and takes no gap locks.
PAYMENT_TERMS = (
    "SELECT r.schedule_id, r.seat_ids, r.amount, r.status, r.expires_at, w.balance, "
    "k.fingerprint, k.response_status, k.response_body, k.created_at "
    "FROM reservation r "
    "LEFT JOIN wallet w ON w.user_id = r.user_id "
    "LEFT JOIN idempotency_key k ON k.user_id = r.user_id AND k.`key` = %s "
    "WHERE r.id = %s AND r.user_id = %s FOR UPDATE"
)


class OrmPayments:
    """domain.payment.ports.Payments. A payment is hand-written SQL, nine round trips with
    the wallet, seats, reservation, outbox and key: the busiest transaction of a sale."""

    def terms(self, *, claim: IdempotencyClaim, reservation_id: int) -> PaymentTerms:
        with unit_of_work_cursor() as cursor:
            cursor.execute(PAYMENT_TERMS, [claim.key, reservation_id, claim.user_id])
            row = cursor.fetchone()
        if row is None:
            raise ReservationNotFound(f"there is no reservation {reservation_id}")
        schedule_id, seat_json, amount, status, expires_at, balance, *key_row = row
        fingerprint, answer_status, answer_body, answered_at = key_row
        return PaymentTerms(
            reservation=Reservation(
                id=reservation_id,
                user_id=claim.user_id,
                schedule_id=int(schedule_id),
                seat_ids=tuple(json.loads(seat_json)),
                amount=int(amount),
                status=ReservationStatus(status),
                expires_at=from_db(expires_at),
            ),
            balance=None if balance is None else int(balance),
            answer=None
            if fingerprint is None
            else StoredAnswer(int(answer_status), json.loads(answer_body), fingerprint),
            answered_at=None if answered_at is None else from_db(answered_at),
        )

    def add(self, *, user_id: int, reservation_id: int, amount: int, now: datetime) -> int:
        with unit_of_work_cursor() as cursor:
            cursor.execute(
                "INSERT INTO payment (user_id, reservation_id, amount, status, created_at) "
                "VALUES (%s, %s, %s, 'succeeded', %s)",
                [user_id, reservation_id, amount, to_db(now)],
            )
            return int(cursor.lastrowid)

    def locked_of(self, *, reservation_id: int) -> tuple[int, int]:
        require_unit_of_work()
        payment = (
            PaymentRecord.objects.select_for_update()
            .values_list("id", "amount")
            .get(reservation_id=reservation_id)
        )
        return int(payment[0]), int(payment[1])

    def mark_refunded(self, *, payment_id: int, now: datetime) -> None:
        require_unit_of_work()
        PaymentRecord.objects.filter(id=payment_id).update(
            status=PaymentStatus.REFUNDED.value, refunded_at=now
        )

    def refund_window(self, *, schedule_id: int) -> RefundWindow:
        starts_at, refund_until = ScheduleRecord.objects.values_list(
            "starts_at", "refund_until"
        ).get(id=schedule_id)
        return RefundWindow(starts_at=starts_at, refund_until=refund_until)


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
    """domain.payment.ports.IdempotencyStore. A payment stores its answer in its own unit of
    work; final refusals are recorded on their own. Keys last IDEMPOTENCY_TTL."""

    def forget(self, claim: IdempotencyClaim) -> None:
        with unit_of_work_cursor() as cursor:
            cursor.execute(
                "DELETE FROM idempotency_key WHERE user_id = %s AND `key` = %s",
                [claim.user_id, claim.key],
            )

    def store(self, claim: IdempotencyClaim, answer: StoredAnswer, *, now: datetime) -> None:
        try:
            with unit_of_work_cursor() as cursor:
                insert_answer(cursor, claim, answer, now=now)
        except IntegrityError:
            raise KeyAnsweredMeanwhile(claim.key) from None

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
            return answer_stored_first(self.stored(claim, now=now))
        return StoredAnswer(answer.status, answer.body, claim.fingerprint)

    def forget_older_than(self, moment: datetime) -> int:
        deleted, _ = IdempotencyKeyRecord.objects.filter(created_at__lt=moment).delete()
        return deleted
