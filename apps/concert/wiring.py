"""Builds the concert module's adapters from settings, once per process."""

from functools import cache

from django.conf import settings

from adapters.concert.seat_map import RedisSeatMap
from adapters.queue.connection import queue_redis


@cache
def seat_map() -> RedisSeatMap:
    """Beside the waiting room and the seat locks, in the same Redis (slot per schedule)."""
    return RedisSeatMap(queue_redis(), ttl_seconds=settings.SEAT_MAP_CACHE_SECONDS)
