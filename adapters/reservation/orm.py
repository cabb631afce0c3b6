"""Seat holds in the database: the conditional UPDATE decides, whatever Redis said."""

import json
from datetime import datetime, timedelta

from django.db import connection, transaction

from adapters.db_time import from_db, to_db
from adapters.messaging.outbox import record_event
from adapters.transactions import retry_lock_conflicts
from apps.concert.models import SeatRecord
from apps.reservation.models import ReservationRecord
from domain.concert.model import (
    SaleClosed,
    SalePhase,
    SaleWindow,
    ScheduleNotFound,
    ScheduleStatus,
    SeatStatus,
)
from domain.reservation.model import (
    NotCancellable,
    Reservation,
    ReservationNotFound,
    ReservationStatus,
    SeatUnavailable,
    TooManySeats,
)


def reservation_from_record(record: ReservationRecord) -> Reservation:
    return Reservation(
        id=record.id,
        user_id=record.user_id,
        schedule_id=record.schedule_id,
        seat_ids=tuple(record.seat_ids),
        amount=record.amount,
        status=ReservationStatus(record.status),
        expires_at=record.expires_at,
        payment_id=record.payment_id,
    )


def free_seats_of(record: ReservationRecord, *, status: SeatStatus) -> int:
    """Gives the reservation's seats in `status` back to sale. Inside a transaction.
    Seats are found by primary key (the reservation lists them), never by scanning."""
    return SeatRecord.objects.filter(
        id__in=record.seat_ids, reservation_id=record.id, status=status.value
    ).update(status=SeatStatus.AVAILABLE.value, reservation_id=None, held_until=None)


def locked_reservation(reservation_id: int, user_id: int | None) -> ReservationRecord:
    """The reservation, row-locked until the transaction ends; `user_id` None for operators.
    Another fan's reservation is not found."""
    query = ReservationRecord.objects.select_for_update().filter(id=reservation_id)
    if user_id is not None:
        query = query.filter(user_id=user_id)
    record = query.first()
    if record is None:
        raise ReservationNotFound(f"there is no reservation {reservation_id}")
    return record


def end_hold(
    record: ReservationRecord,
    status: ReservationStatus,
    *,
    now: datetime,
    event: str,
    extra: dict[str, object] | None = None,
) -> None:
    """Frees a hold's seats, gives it its final status and records the event. Inside the
    transaction that locked the reservation."""
    free_seats_of(record, status=SeatStatus.HELD)
    record.status = status.value
    record.updated_at = now
    record.save(update_fields=["status", "updated_at"])
    record_event(
        event_type=event,
        aggregate_id=record.id,
        schedule_id=record.schedule_id,
        payload={
            "reservation_id": record.id,
            "schedule_id": record.schedule_id,
            "seat_ids": record.seat_ids,
            **(extra or {}),
        },
    )


class OrmHoldStore:
    @retry_lock_conflicts()
    def hold(
        self,
        *,
        user_id: int,
        schedule_id: int,
        seat_ids: tuple[int, ...],
        now: datetime,
        max_per_fan: int,
    ) -> Reservation:
        """Six round trips in hand-written SQL: the fan's lock row; the schedule, the fan's
        seats and the price in one SELECT; the reservation; the conditional UPDATE; the
        outbox row; COMMIT.

        The fan's lock row (one per fan and schedule, see FanHoldLockRecord) is taken first
        and kept to COMMIT, so the fan's other holds of this schedule wait here, and the count
        of the fan's seats below (READ COMMITTED: it sees every commit before it) includes
        theirs. Lock order: the fan's row, then seats in id order."""
        marks = ", ".join(["%s"] * len(seat_ids))
        with transaction.atomic(), connection.cursor() as cursor:
            # An existing row is X-locked by the no-op update; a new one by its insert.
            cursor.execute(
                "INSERT INTO fan_hold_lock (user_id, schedule_id) VALUES (%s, %s) "
                "ON DUPLICATE KEY UPDATE user_id = user_id",
                [user_id, schedule_id],
            )
            cursor.execute(
                "SELECT s.sale_opens_at, s.sale_closes_at, s.status, s.hold_ttl_seconds, "
                "s.max_seats_per_fan, "
                f"(SELECT COALESCE(SUM(price), 0) FROM seat WHERE id IN ({marks}) "
                "  AND schedule_id = s.id), "
                f"(SELECT COUNT(*) FROM seat WHERE id IN ({marks}) AND schedule_id = s.id), "
                "(SELECT COALESCE(SUM(JSON_LENGTH(seat_ids)), 0) FROM reservation "
                "  WHERE user_id = %s AND schedule_id = s.id AND (status = 'confirmed' "
                "  OR (status = 'held' AND expires_at > %s))) "
                "FROM schedule s WHERE s.id = %s",
                [*seat_ids, *seat_ids, user_id, to_db(now), schedule_id],
            )
            row = cursor.fetchone()
            if row is None:
                raise ScheduleNotFound(f"there is no schedule {schedule_id}")
            opens, closes, status, ttl, per_show, amount, found, taken = row
            window = SaleWindow(
                opens_at=from_db(opens), closes_at=from_db(closes), status=ScheduleStatus(status)
            )
            if window.phase(now) is not SalePhase.ON_SALE:
                raise SaleClosed("this show is not on sale")
            limit = min(max_per_fan, per_show)
            if int(taken) + len(seat_ids) > limit:
                raise TooManySeats(f"at most {limit} seats per fan for this show")
            if found != len(seat_ids):
                raise SeatUnavailable("one or more of these seats are not seats of this show")
            expires_at = now + timedelta(seconds=ttl)
            cursor.execute(
                "INSERT INTO reservation (user_id, schedule_id, seat_ids, amount, status, "
                "expires_at, payment_id, created_at, updated_at) "
                "VALUES (%s, %s, %s, %s, 'held', %s, NULL, %s, %s)",
                [
                    user_id,
                    schedule_id,
                    json.dumps(list(seat_ids)),
                    amount,
                    to_db(expires_at),
                    to_db(now),
                    to_db(now),
                ],
            )
            reservation_id = int(cursor.lastrowid)
            # The row count decides: every seat free (or its hold expired), or nothing.
            cursor.execute(
                "UPDATE seat SET status = 'held', reservation_id = %s, held_until = %s "
                f"WHERE id IN ({marks}) AND schedule_id = %s "
                "AND (status = 'available' OR (status = 'held' AND held_until < %s))",
                [reservation_id, to_db(expires_at), *seat_ids, schedule_id, to_db(now)],
            )
            if cursor.rowcount != len(seat_ids):
                raise SeatUnavailable("one or more of these seats were just taken")
            record_event(
                event_type="reservation.held",
                aggregate_id=reservation_id,
                schedule_id=schedule_id,
                payload={
                    "reservation_id": reservation_id,
                    "user_id": user_id,
                    "schedule_id": schedule_id,
                    "seat_ids": list(seat_ids),
                    "amount": int(amount),
                    "expires_at": expires_at.isoformat(),
                },
            )
        return Reservation(
            id=reservation_id,
            user_id=user_id,
            schedule_id=schedule_id,
            seat_ids=seat_ids,
            amount=int(amount),
            status=ReservationStatus.HELD,
            expires_at=expires_at,
        )

    @retry_lock_conflicts()
    def release_hold(self, *, reservation_id: int, user_id: int, now: datetime) -> Reservation:
        with transaction.atomic():
            record = locked_reservation(reservation_id, user_id)
            if record.status != ReservationStatus.HELD.value or record.expires_at <= now:
                raise NotCancellable("only a live hold can be released this way")
            end_hold(
                record,
                ReservationStatus.CANCELLED,
                now=now,
                event="reservation.cancelled",
                extra={"refunded": 0},
            )
        return reservation_from_record(record)

    def expire_due(self, *, now: datetime, batch: int) -> list[Reservation]:
        with transaction.atomic():
            records = list(
                ReservationRecord.objects.select_for_update(skip_locked=True)
                .filter(status=ReservationStatus.HELD.value, expires_at__lte=now)
                .order_by("id")[:batch]
            )
            for record in records:
                end_hold(record, ReservationStatus.EXPIRED, now=now, event="reservation.expired")
        return [reservation_from_record(r) for r in records]

    def live_of_schedule(self, *, schedule_id: int, batch: int) -> list[Reservation]:
        records = ReservationRecord.objects.filter(
            schedule_id=schedule_id,
            status__in=[ReservationStatus.HELD.value, ReservationStatus.CONFIRMED.value],
        ).order_by("id")[:batch]
        return [reservation_from_record(r) for r in records]

    def get(self, *, reservation_id: int, user_id: int) -> Reservation:
        record = ReservationRecord.objects.filter(id=reservation_id, user_id=user_id).first()
        if record is None:
            raise ReservationNotFound(f"there is no reservation {reservation_id}")
        return reservation_from_record(record)
