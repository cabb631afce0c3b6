"""Access tokens that die with the account: when a fan is deactivated, deleted or changes
password, a "revoked since" mark goes into Redis, and every token issued before it is
refused. The hot path reads no Redis of its own: each process keeps a copy of the marks
and reads them again at most once a second (one HGETALL), so a revocation takes effect
within about a second everywhere. Marks go once every token they could refuse has expired.
If Redis cannot be read, the last copy stands."""

import logging
import threading
import time
from typing import Any

from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

KEY = "auth:revoked"


class RedisTokenRevocations:
    def __init__(self, client: Any, *, keep_seconds: float, refresh_seconds: float = 1.0) -> None:
        self.client = client
        self.keep = keep_seconds
        self.refresh_every = refresh_seconds
        self._lock = threading.Lock()
        self._marks: dict[int, float] = {}
        self._read_at = float("-inf")

    def revoke(self, user_id: int, *, at_s: float) -> None:
        """Every token of the user issued up to `at_s` is refused from now on."""
        marks = {int(k): float(v) for k, v in self.client.hgetall(KEY).items()}
        stale = [str(uid) for uid, since in marks.items() if since < at_s - self.keep]
        pipe = self.client.pipeline(transaction=False)
        pipe.hset(KEY, str(user_id), f"{at_s:.6f}")
        if stale:
            pipe.hdel(KEY, *stale)
        pipe.execute()
        with self._lock:
            self._marks[user_id] = at_s  # this process knows at once

    def is_revoked(self, user_id: int, *, issued_at_s: float) -> bool:
        since = self._current().get(user_id)
        return since is not None and issued_at_s <= since

    def _current(self) -> dict[int, float]:
        now = time.monotonic()
        if now - self._read_at < self.refresh_every:
            return self._marks
        with self._lock:
            if now - self._read_at >= self.refresh_every:
                try:
                    raw = self.client.hgetall(KEY)
                    self._marks = {int(k): float(v) for k, v in raw.items()}
                except RedisError as exc:
                    logger.warning("token revocations not read again: %s", exc)
                self._read_at = now
        return self._marks
