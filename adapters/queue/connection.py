"""The Redis client of the waiting room: a plain server, or a Redis Cluster."""

from functools import cache

import redis
from django.conf import settings
from redis.cluster import RedisCluster

QueueRedis = redis.Redis | RedisCluster


@cache
def queue_redis() -> QueueRedis:
    options = {
        "socket_connect_timeout": settings.REDIS_SOCKET_TIMEOUT,
        "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
        "health_check_interval": 30,
    }
    if settings.QUEUE_REDIS_CLUSTER:
        return RedisCluster.from_url(settings.QUEUE_REDIS_URL, **options)
    return redis.Redis.from_url(
        settings.QUEUE_REDIS_URL, max_connections=settings.QUEUE_REDIS_MAX_CONNECTIONS, **options
    )
