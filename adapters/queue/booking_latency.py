"""How long holds and payments take, as every app server sees them, for adaptive admission.

Each process counts its answers in latency buckets in memory and adds them to Redis at
most once a second (one pipelined round trip), into a hash per second. The admission tick
merges the last few seconds of every process. The count costs a booking no round trip,
and a Redis outage costs the count, never the booking.
"""

import logging
import math
import threading
import time
from bisect import bisect_left
from typing import Any

import redis

from adapters.queue.redis import redis_unavailable_as_queue_unavailable
from domain.queue.admission import BookingLatency

logger = logging.getLogger(__name__)

# Upper bounds (ms) of the buckets; the last one takes everything slower.
BUCKETS_MS = (
    5, 10, 20, 30, 50, 75, 100, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000, 3000,
    5000, 10000, math.inf,
)  # fmt: skip
KEY = "booking:latency:{second}"
KEEP_SECONDS = 120


class RedisBookingLatency:
    def __init__(self, client: Any, *, flush_every_seconds: float = 1.0) -> None:
        self.client = client
        self.flush_every = flush_every_seconds
        self._lock = threading.Lock()
        self._counts = [0] * len(BUCKETS_MS)
        self._flushed_at = time.monotonic()

    def observe(self, milliseconds: float) -> None:
        """Counts one answer; now and then adds the counts so far to Redis."""
        with self._lock:
            self._counts[bisect_left(BUCKETS_MS, milliseconds)] += 1
            if time.monotonic() - self._flushed_at < self.flush_every:
                return
            counts = self._take()
        self._add(counts, second=int(time.time()))

    def flush(self) -> None:
        with self._lock:
            counts = self._take()
        self._add(counts, second=int(time.time()))

    def _take(self) -> list[int]:
        """The counts so far, starting afresh (under the lock)."""
        counts, self._counts = self._counts, [0] * len(BUCKETS_MS)
        self._flushed_at = time.monotonic()
        return counts

    def _add(self, counts: list[int], *, second: int) -> None:
        if not any(counts):
            return
        key = KEY.format(second=second)
        pipe = self.client.pipeline(transaction=False)
        for index, count in enumerate(counts):
            if count:
                pipe.hincrby(key, str(index), count)
        pipe.expire(key, KEEP_SECONDS)
        try:
            pipe.execute()
        except redis.RedisError as exc:
            logger.warning("booking latency not counted: %s", exc)

    def recent(self, *, now_s: float, window_seconds: int) -> BookingLatency:
        """The answers of the last `window_seconds` whole seconds, all processes merged."""
        last = int(now_s)
        pipe = self.client.pipeline(transaction=False)
        for second in range(last - window_seconds, last + 1):
            pipe.hgetall(KEY.format(second=second))
        merged = [0] * len(BUCKETS_MS)
        with redis_unavailable_as_queue_unavailable():
            windows = pipe.execute()
        for counts in windows:
            for index, count in counts.items():
                merged[int(index)] += int(count)
        return BookingLatency(samples=sum(merged), p95_ms=bucket_quantile(merged, 0.95))


def bucket_quantile(counts: list[int], share: float) -> float:
    """The quantile, interpolated linearly inside its bucket (as Prometheus does); the
    open last bucket answers with its lower bound."""
    total = sum(counts)
    if not total:
        return 0.0
    rank, seen = share * total, 0
    for index, count in enumerate(counts):
        if count and seen + count >= rank:
            lower = BUCKETS_MS[index - 1] if index else 0.0
            upper = BUCKETS_MS[index]
            if math.isinf(upper):
                return float(lower)
            return lower + (upper - lower) * (rank - seen) / count
        seen += count
    return float(BUCKETS_MS[-2])
