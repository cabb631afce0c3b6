"""Builds the concert module's adapters from settings, once per process."""

from functools import cache

from django.conf import settings

from adapters.concert.orm import OrmSchedules
from adapters.concert.ranking import RedisRanking
from adapters.concert.seat_map import RedisSeatMap
from adapters.messaging.outbox import OutboxEventLog
from adapters.queue.connection import queue_redis
from adapters.transactions import DatabaseUnitOfWork
from domain.concert.seat_map import PatchSeatMap
from domain.concert.usecases import CancelSchedule


@cache
def seat_map() -> RedisSeatMap:
    """Beside the waiting room and the seat locks, in the same Redis (slot per schedule)."""
    return RedisSeatMap(queue_redis(), ttl_seconds=settings.SEAT_MAP_CACHE_SECONDS)


@cache
def seat_map_patches() -> PatchSeatMap:
    """The seat map's reaction to booking events, as each commits."""
    return PatchSeatMap(seat_map())


@cache
def ranking() -> RedisRanking:
    return RedisRanking(queue_redis())


@cache
def cancel_schedule() -> CancelSchedule:
    return CancelSchedule(
        uow=DatabaseUnitOfWork(), schedules=OrmSchedules(), events=OutboxEventLog()
    )
