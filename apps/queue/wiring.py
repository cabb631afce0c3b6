"""Builds the waiting room's use cases from settings, once per process."""

from functools import cache

from django.conf import settings

from adapters.clock import SystemClock
from adapters.queue.booking_latency import RedisBookingLatency
from adapters.queue.connection import queue_redis
from adapters.queue.heartbeats import BatchedHeartbeats
from adapters.queue.redis import RedisWaitingRoom
from apps.queue.line_states import CachedLineStates
from domain.queue.access import AccessTokens
from domain.queue.usecases import (
    AdmitWaitingFans,
    CheckPlace,
    EnterQueue,
    LeaveQueue,
    ReadQueueState,
    RequireAccess,
    SteerAdmission,
)


@cache
def clock() -> SystemClock:
    return SystemClock()


@cache
def waiting_room() -> RedisWaitingRoom:
    return RedisWaitingRoom(
        queue_redis(),
        user_rate=settings.QUEUE_ENTRY_RATE_PER_USER,
        user_burst=settings.QUEUE_ENTRY_BURST_PER_USER,
        ip_rate=settings.QUEUE_ENTRY_RATE_PER_IP,
        ip_burst=settings.QUEUE_ENTRY_BURST_PER_IP,
    )


@cache
def access_tokens() -> AccessTokens:
    return AccessTokens(secret=f"queue-access:{settings.SECRET_KEY}".encode())


def _parts() -> dict[str, object]:
    from apps.concert.queue_settings import OrmQueueSettingsSource

    return {
        "room": waiting_room(),
        "settings": OrmQueueSettingsSource(),
        "tokens": access_tokens(),
        "clock": clock(),
    }


@cache
def enter_queue() -> EnterQueue:
    return EnterQueue(**_parts())  # type: ignore[arg-type]


@cache
def check_place() -> CheckPlace:
    return CheckPlace(**_parts(), line=line_states(), heartbeats=heartbeats())  # type: ignore[arg-type]


@cache
def leave_queue() -> LeaveQueue:
    return LeaveQueue(room=waiting_room(), heartbeats=heartbeats())


@cache
def read_queue_state() -> ReadQueueState:
    return ReadQueueState(**_parts())  # type: ignore[arg-type]


@cache
def line_states() -> CachedLineStates:
    return CachedLineStates(
        read_queue_state(), max_age_seconds=lambda: settings.QUEUE_STATE_MAX_AGE_SECONDS
    )


@cache
def heartbeats() -> BatchedHeartbeats:
    return BatchedHeartbeats(
        waiting_room(), clock(), every_seconds=settings.QUEUE_HEARTBEAT_BATCH_SECONDS
    )


@cache
def require_access() -> RequireAccess:
    return RequireAccess(room=waiting_room(), tokens=access_tokens(), clock=clock())


@cache
def booking_latency() -> RedisBookingLatency:
    return RedisBookingLatency(queue_redis())


@cache
def steer_admission() -> SteerAdmission:
    return SteerAdmission(room=waiting_room(), latency=booking_latency(), clock=clock())


@cache
def admit_waiting_fans() -> AdmitWaitingFans:
    from apps.concert.seat_inventory import OrmSeatInventory

    return AdmitWaitingFans(
        room=waiting_room(), steer=steer_admission(), inventory=OrmSeatInventory(), clock=clock()
    )
