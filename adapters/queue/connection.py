"""The Redis client of the waiting room: a plain server, or a Redis Cluster."""

import os
import threading
from functools import cache
from typing import Any

import redis
from django.conf import settings
from redis.cluster import RedisCluster

QueueRedis = redis.Redis | RedisCluster


class ThreadPinnedPool(redis.ConnectionPool):
    """A connection pool in which each thread keeps its own connection.

    redis-py's pool, on every command, takes a connection under a lock, polls its socket to
    make sure nothing is left unread (three system calls) and gives it back: about 40 µs of a
    heartbeat's ~150 µs Redis cost on our machines (docs/PERFORMANCE.md). A server thread
    runs one command at a time, so its own connection is always free. redis-py still
    disconnects a connection that fails mid-command, and it reconnects on the thread's next
    command. A thread that has ended gives its connection back when another thread first
    asks for one. Not for PubSub, which holds its connection for good.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pinned: dict[int, Any] = {}
        self._pinning = threading.Lock()  # taken only when a thread pins its connection

    def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        connection = self._pinned.get(threading.get_ident())
        if connection is None or connection.pid != os.getpid():
            # Registers a thread not started by `threading` (the server's own), so that
            # enumerate() below counts it among the living.
            threading.current_thread()
            with self._pinning:
                self._release_ended_threads()
                connection = super().get_connection()
                self._pinned[threading.get_ident()] = connection
        return connection

    def release(self, connection: Any) -> None:
        if self._pinned.get(threading.get_ident()) is not connection:
            super().release(connection)

    def _release_ended_threads(self) -> None:
        living = {thread.ident for thread in threading.enumerate()}
        for ident in [ident for ident in self._pinned if ident not in living]:
            super().release(self._pinned.pop(ident))


@cache
def queue_redis() -> QueueRedis:
    options = {
        "socket_connect_timeout": settings.REDIS_SOCKET_TIMEOUT,
        "socket_timeout": settings.REDIS_SOCKET_TIMEOUT,
        "health_check_interval": 30,
    }
    if settings.QUEUE_REDIS_CLUSTER:
        return RedisCluster.from_url(settings.QUEUE_REDIS_URL, **options)
    pool = ThreadPinnedPool.from_url(
        settings.QUEUE_REDIS_URL, max_connections=settings.QUEUE_REDIS_MAX_CONNECTIONS, **options
    )
    return redis.Redis(connection_pool=pool)
