"""Reservations and their seats in the database, inside the caller's unit of work: the
conditional UPDATE decides, whatever Redis said.

Where SQL applies the hold rule (domain.concert.model.hold_has_lapsed) inside a statement,
it compares the same way: `<= now` lapsed, `> now` live."""

import json
from datetime import datetime

from adapters.db_time import from_db, to_db
from adapters.transactions import require_unit_of_work, unit_of_work_cursor
from apps.concert.models import SeatRecord
from apps.reservation.models import ReservationRecord
from domain.concert.model import SaleWindow, ScheduleNotFound, ScheduleStatus, SeatStatus
from domain.reservation.model import (
    HoldTerms,
    Reservation,
    ReservationNotFound,
    ReservationStatus,
)

# A seat a hold may take: free, or held by a hold that has lapsed at the given time.
SEAT_IS_FREE = "(status = 'available' OR (status = 'held' AND held_until <= %s))"
# The fan's seats of the show that count against the limit: bought, or held and live.
FANS_SEATS = (
    "SELECT COALESCE(SUM(JSON_LENGTH(seat_ids)), 0) FROM reservation "
    "WHERE user_id = %s AND schedule_id = s.id "
    "AND (status = 'confirmed' OR (status = 'held' AND expires_at > %s))"
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


class OrmHolds:
    """domain.reservation.ports.Holds. A hold is six round trips in hand-written SQL (the
    fan's lock row; the terms in one SELECT; the reservation; the conditional UPDATE; the
    outbox row; COMMIT): the ORM's per-query cost was most of a hold."""

    def terms(
        self, *, user_id: int, schedule_id: int, seat_ids: tuple[int, ...], now: datetime
    ) -> HoldTerms:
        """The fan's lock row (one per fan and show, see FanHoldLockRecord) is taken first:
        an existing row is X-locked by the no-op update, a new one by its insert. Lock
        order: the fan's row, then seats in id order. READ COMMITTED: the count of the
        fan's seats sees every hold committed before the lock was granted."""
        marks = ", ".join(["%s"] * len(seat_ids))
        with unit_of_work_cursor() as cursor:
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
                f"({FANS_SEATS}) "
                "FROM schedule s WHERE s.id = %s",
                [*seat_ids, *seat_ids, user_id, to_db(now), schedule_id],
            )
            row = cursor.fetchone()
        if row is None:
            raise ScheduleNotFound(f"there is no schedule {schedule_id}")
        opens, closes, status, ttl, per_show, price, found, taken = row
        return HoldTerms(
            window=SaleWindow(
                opens_at=from_db(opens), closes_at=from_db(closes), status=ScheduleStatus(status)
            ),
            hold_seconds=int(ttl),
            max_seats_per_fan=int(per_show),
            seats_found=int(found),
            price=int(price),
            seats_the_fan_has=int(taken),
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
        with unit_of_work_cursor() as cursor:
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
            return int(cursor.lastrowid)

    def take_seats(
        self,
        *,
        reservation_id: int,
        schedule_id: int,
        seat_ids: tuple[int, ...],
        held_until: datetime,
        now: datetime,
    ) -> int:
        marks = ", ".join(["%s"] * len(seat_ids))
        with unit_of_work_cursor() as cursor:
            cursor.execute(
                "UPDATE seat SET status = 'held', reservation_id = %s, held_until = %s "
                f"WHERE id IN ({marks}) AND schedule_id = %s AND {SEAT_IS_FREE}",
                [reservation_id, to_db(held_until), *seat_ids, schedule_id, to_db(now)],
            )
            return int(cursor.rowcount)

    def locked(self, *, reservation_id: int, user_id: int | None) -> Reservation:
        require_unit_of_work()
        query = ReservationRecord.objects.select_for_update().filter(id=reservation_id)
        if user_id is not None:
            query = query.filter(user_id=user_id)
        record = query.first()
        if record is None:
            raise ReservationNotFound(f"there is no reservation {reservation_id}")
        return reservation_from_record(record)

    def lapsed(self, *, now: datetime, batch: int) -> list[Reservation]:
        require_unit_of_work()
        records = (
            ReservationRecord.objects.select_for_update(skip_locked=True)
            .filter(status=ReservationStatus.HELD.value, expires_at__lte=now)
            .order_by("id")[:batch]
        )
        return [reservation_from_record(r) for r in records]

    def end(self, reservation: Reservation, *, status: ReservationStatus, now: datetime) -> None:
        """Seats are found by primary key (the reservation lists them), never by scanning."""
        require_unit_of_work()
        seats_were = (
            SeatStatus.SOLD
            if reservation.status is ReservationStatus.CONFIRMED
            else SeatStatus.HELD
        )
        SeatRecord.objects.filter(
            id__in=reservation.seat_ids, reservation_id=reservation.id, status=seats_were.value
        ).update(status=SeatStatus.AVAILABLE.value, reservation_id=None, held_until=None)
        ReservationRecord.objects.filter(id=reservation.id).update(
            status=status.value, updated_at=now
        )

    def confirm(self, *, reservation_id: int, payment_id: int, now: datetime) -> None:
        with unit_of_work_cursor() as cursor:
            cursor.execute(
                "UPDATE reservation SET status = 'confirmed', payment_id = %s, updated_at = %s "
                "WHERE id = %s",
                [payment_id, to_db(now), reservation_id],
            )

    def sell_seats(self, *, reservation_id: int, seat_ids: tuple[int, ...]) -> int:
        marks = ", ".join(["%s"] * len(seat_ids))
        with unit_of_work_cursor() as cursor:
            cursor.execute(
                "UPDATE seat SET status = 'sold', held_until = NULL "
                f"WHERE id IN ({marks}) AND reservation_id = %s AND status = 'held'",
                [*seat_ids, reservation_id],
            )
            return int(cursor.rowcount)

    def live_of_schedule(self, *, schedule_id: int, batch: int) -> list[Reservation]:
        records = ReservationRecord.objects.filter(
            schedule_id=schedule_id,
            status__in=[ReservationStatus.HELD.value, ReservationStatus.CONFIRMED.value],
        ).order_by("id")[:batch]
        return [reservation_from_record(r) for r in records]

    def get(self, *, reservation_id: int, user_id: int | None) -> Reservation:
        query = ReservationRecord.objects.filter(id=reservation_id)
        if user_id is not None:
            query = query.filter(user_id=user_id)
        record = query.first()
        if record is None:
            raise ReservationNotFound(f"there is no reservation {reservation_id}")
        return reservation_from_record(record)
