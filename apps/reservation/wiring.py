"""Builds the reservation module's use cases, once per process."""

from functools import cache
from typing import Any

from django.conf import settings

from adapters.clock import SystemClock
from adapters.messaging.outbox import OutboxEventLog
from adapters.queue.connection import queue_redis
from adapters.reservation.orm import OrmHolds
from adapters.reservation.redis import RedisSeatLocks
from adapters.transactions import DatabaseUnitOfWork
from apps.concert.wiring import seat_map_patches
from domain.reservation.usecases import (
    CancelReservation,
    CancelScheduleReservations,
    ExpireHolds,
    HoldSeats,
    Refund,
    ReleaseHolds,
)


@cache
def holds() -> OrmHolds:
    return OrmHolds()


@cache
def seat_locks() -> RedisSeatLocks:
    return RedisSeatLocks(queue_redis())


@cache
def booking_events() -> OutboxEventLog:
    """The event log of every use case that holds, frees or sells seats (this module's and
    the payment module's): the seat map follows each as it commits."""
    return OutboxEventLog(after_commit=[seat_map_patches()])


def _parts() -> dict[str, Any]:
    return {
        "uow": DatabaseUnitOfWork(),
        "holds": holds(),
        "events": booking_events(),
        "locks": seat_locks(),
        "clock": SystemClock(),
    }


def _refund() -> Refund:
    # The payment module builds on this one (its payments confirm our holds), so its
    # wiring is imported when first needed, not at import time.
    from apps.payment.wiring import refund_purchase

    return refund_purchase()


@cache
def hold_seats() -> HoldSeats:
    return HoldSeats(**_parts(), max_seats_per_fan=settings.MAX_SEATS_PER_FAN)


@cache
def cancel_reservation() -> CancelReservation:
    return CancelReservation(**_parts(), refund=_refund())


@cache
def cancel_schedule_reservations() -> CancelScheduleReservations:
    return CancelScheduleReservations(**_parts(), refund=_refund())


@cache
def expire_holds() -> ExpireHolds:
    return ExpireHolds(**_parts())


@cache
def release_holds() -> ReleaseHolds:
    return ReleaseHolds(**_parts())
