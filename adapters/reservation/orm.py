"""Seat holds in the database: the conditional UPDATE decides, whatever Redis said."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, Sum

from adapters.messaging.outbox import record_event
from adapters.transactions import retry_lock_conflicts
from apps.concert.models import ScheduleRecord, SeatRecord
from apps.reservation.models import ReservationRecord
from domain.concert.model import SaleClosed, SalePhase, ScheduleNotFound, SeatStatus
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


def free_seats_of(reservation_id: int, *, status: SeatStatus) -> int:
    """Gives the reservation's seats in `status` back to sale. Inside a transaction."""
    return SeatRecord.objects.filter(reservation_id=reservation_id, status=status.value).update(
        status=SeatStatus.AVAILABLE.value, reservation_id=None, held_until=None
    )


def seats_taken_by(user_id: int, schedule_id: int, now: datetime) -> int:
    live = ReservationRecord.objects.filter(user_id=user_id, schedule_id=schedule_id).filter(
        Q(status=ReservationStatus.CONFIRMED.value)
        | Q(status=ReservationStatus.HELD.value, expires_at__gt=now)
    )
    return sum(len(seat_ids) for seat_ids in live.values_list("seat_ids", flat=True))


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
        with transaction.atomic():
            schedule = ScheduleRecord.objects.filter(id=schedule_id).first()
            if schedule is None:
                raise ScheduleNotFound(f"there is no schedule {schedule_id}")
            if schedule.sale_window.phase(now) is not SalePhase.ON_SALE:
                raise SaleClosed("this show is not on sale")
            limit = min(max_per_fan, schedule.max_seats_per_fan)
            if seats_taken_by(user_id, schedule_id, now) + len(seat_ids) > limit:
                raise TooManySeats(f"at most {limit} seats per fan for this show")
            expires_at = now + timedelta(seconds=schedule.hold_ttl_seconds)
            record = ReservationRecord.objects.create(
                user_id=user_id,
                schedule_id=schedule_id,
                seat_ids=list(seat_ids),
                amount=0,
                expires_at=expires_at,
                created_at=now,
                updated_at=now,
            )
            # The row count decides: every seat free (or its hold expired), or nothing.
            held = (
                SeatRecord.objects.filter(schedule_id=schedule_id, id__in=seat_ids)
                .filter(
                    Q(status=SeatStatus.AVAILABLE.value)
                    | Q(status=SeatStatus.HELD.value, held_until__lt=now)
                )
                .update(
                    status=SeatStatus.HELD.value, reservation_id=record.id, held_until=expires_at
                )
            )
            if held != len(seat_ids):
                raise SeatUnavailable("one or more of these seats were just taken")
            record.amount = (
                SeatRecord.objects.filter(reservation_id=record.id).aggregate(total=Sum("price"))[
                    "total"
                ]
                or 0
            )
            record.save(update_fields=["amount"])
            record_event(
                event_type="reservation.held",
                aggregate_id=record.id,
                schedule_id=schedule_id,
                payload={
                    "reservation_id": record.id,
                    "user_id": user_id,
                    "schedule_id": schedule_id,
                    "seat_ids": list(seat_ids),
                    "amount": record.amount,
                    "expires_at": expires_at.isoformat(),
                },
            )
        return reservation_from_record(record)

    @retry_lock_conflicts()
    def release_hold(self, *, reservation_id: int, user_id: int, now: datetime) -> Reservation:
        with transaction.atomic():
            record = (
                ReservationRecord.objects.select_for_update()
                .filter(id=reservation_id, user_id=user_id)
                .first()
            )
            if record is None:
                raise ReservationNotFound(f"there is no reservation {reservation_id}")
            if record.status != ReservationStatus.HELD.value or record.expires_at <= now:
                raise NotCancellable("only a live hold can be released this way")
            free_seats_of(record.id, status=SeatStatus.HELD)
            record.status = ReservationStatus.CANCELLED.value
            record.updated_at = now
            record.save(update_fields=["status", "updated_at"])
            record_event(
                event_type="reservation.cancelled",
                aggregate_id=record.id,
                schedule_id=record.schedule_id,
                payload={
                    "reservation_id": record.id,
                    "schedule_id": record.schedule_id,
                    "seat_ids": record.seat_ids,
                    "refunded": 0,
                },
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
                free_seats_of(record.id, status=SeatStatus.HELD)
                record.status = ReservationStatus.EXPIRED.value
                record.updated_at = now
                record.save(update_fields=["status", "updated_at"])
                record_event(
                    event_type="reservation.expired",
                    aggregate_id=record.id,
                    schedule_id=record.schedule_id,
                    payload={
                        "reservation_id": record.id,
                        "schedule_id": record.schedule_id,
                        "seat_ids": record.seat_ids,
                    },
                )
        return [reservation_from_record(r) for r in records]

    def get(self, *, reservation_id: int, user_id: int) -> Reservation:
        record = ReservationRecord.objects.filter(id=reservation_id, user_id=user_id).first()
        if record is None:
            raise ReservationNotFound(f"there is no reservation {reservation_id}")
        return reservation_from_record(record)
