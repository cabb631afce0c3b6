"""Builds the booking use cases from settings, once per process."""

from contextlib import suppress
from datetime import UTC, datetime
from functools import cache

from django.conf import settings

from adapters.payment.orm import OrmIdempotencyStore, OrmPaymentStore
from adapters.queue.connection import queue_redis
from adapters.reservation.orm import OrmHoldStore
from adapters.reservation.redis import RedisSeatLocks
from apps.concert.wiring import seat_map
from apps.queue.wiring import waiting_room
from domain.payment.usecases import PayForReservation
from domain.queue.model import QueueUnavailable
from domain.reservation.usecases import (
    CancelReservation,
    CancelScheduleReservations,
    ExpireHolds,
    HoldSeats,
)


class UtcClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class WaitingRoomSlots:
    def release(self, *, schedule_id: int, user_id: int) -> None:
        # If Redis is down the slot runs out by itself (active_ttl).
        with suppress(QueueUnavailable):
            waiting_room().leave(schedule_id=schedule_id, user_id=user_id)


@cache
def seat_locks() -> RedisSeatLocks:
    return RedisSeatLocks(queue_redis())


@cache
def hold_seats() -> HoldSeats:
    return HoldSeats(
        store=OrmHoldStore(),
        locks=seat_locks(),
        seat_map=seat_map(),
        clock=UtcClock(),
        max_seats_per_fan=settings.MAX_SEATS_PER_FAN,
    )


@cache
def cancel_reservation() -> CancelReservation:
    return CancelReservation(
        store=OrmHoldStore(),
        refunds=OrmPaymentStore(),
        locks=seat_locks(),
        seat_map=seat_map(),
        clock=UtcClock(),
    )


@cache
def cancel_schedule_reservations() -> CancelScheduleReservations:
    return CancelScheduleReservations(
        store=OrmHoldStore(),
        refunds=OrmPaymentStore(),
        locks=seat_locks(),
        seat_map=seat_map(),
        clock=UtcClock(),
    )


@cache
def expire_holds() -> ExpireHolds:
    return ExpireHolds(
        store=OrmHoldStore(), locks=seat_locks(), seat_map=seat_map(), clock=UtcClock()
    )


@cache
def pay_for_reservation() -> PayForReservation:
    return PayForReservation(
        payments=OrmPaymentStore(), slots=WaitingRoomSlots(), seat_map=seat_map(), clock=UtcClock()
    )


@cache
def idempotency_store() -> OrmIdempotencyStore:
    return OrmIdempotencyStore()
