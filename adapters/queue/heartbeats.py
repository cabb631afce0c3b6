"""Heartbeats an app server answered on its own, recorded in Redis in one call a second.

A waiting fan's heartbeat only has to reach Redis well within `abandon_after_seconds` (at
least three heartbeats): sending each one at once cost a Redis round trip per request,
which made a heartbeat cost about twice a bare request (docs/PERFORMANCE.md). Here each
process collects the beats of a second per schedule and sends them in one script call
(lua/beats.lua), which keeps every place as the fan's own call would and makes one
admission step. A process that stops loses at most the beats of its last second, which the
fans' next heartbeats make up for.

The fans a batch finds without a place (they lost it, or left through another process) are
remembered, so that this process sends their next heartbeat to Redis and they learn it.
"""

import logging
import os
import threading
import time

from adapters.queue.redis import RedisWaitingRoom
from domain.queue.model import QueueUnavailable
from domain.queue.ports import Clock

logger = logging.getLogger(__name__)

# The fans a process remembers as having no place; past this many (a flood of forged or
# stale receipts), it forgets them all: their heartbeats go to Redis, which is exact anyway.
MAX_KNOWN_LOST = 100_000


class BatchedHeartbeats:
    def __init__(self, room: RedisWaitingRoom, clock: Clock, *, every_seconds: float) -> None:
        self.room, self.clock, self.every_seconds = room, clock, every_seconds
        self._lock = threading.Lock()
        self._due: dict[int, set[int]] = {}
        self._lost: set[tuple[int, int]] = set()
        self._sender_pid: int | None = None  # the process whose thread sends the batches

    def record(self, *, schedule_id: int, user_id: int) -> None:
        with self._lock:
            self._due.setdefault(schedule_id, set()).add(user_id)
            if self._sender_pid != os.getpid():  # first beat of this process (after a fork)
                self._sender_pid = os.getpid()
                threading.Thread(target=self._send_forever, name="heartbeats", daemon=True).start()

    def known_lost(self, *, schedule_id: int, user_id: int) -> bool:
        return (schedule_id, user_id) in self._lost

    def mark_lost(self, *, schedule_id: int, user_id: int) -> None:
        with self._lock:
            if len(self._lost) >= MAX_KNOWN_LOST:
                self._lost.clear()
            self._lost.add((schedule_id, user_id))

    def forget_lost(self, *, schedule_id: int, user_id: int) -> None:
        if (schedule_id, user_id) in self._lost:
            with self._lock:
                self._lost.discard((schedule_id, user_id))

    def send(self) -> int:
        """Sends the beats collected so far, one script call per schedule; returns how many.
        Beats that Redis could not take are kept for the next call."""
        with self._lock:
            due, self._due = self._due, {}
        sent = 0
        for schedule_id, users in due.items():
            try:
                lost = self.room.record_beats(
                    schedule_id=schedule_id, user_ids=sorted(users), now_ms=self.clock.now_ms()
                )
            except QueueUnavailable as exc:
                logger.warning("heartbeats of schedule %s kept for later: %s", schedule_id, exc)
                with self._lock:
                    self._due.setdefault(schedule_id, set()).update(users)
                continue
            sent += len(users)
            for user_id in lost:
                self.mark_lost(schedule_id=schedule_id, user_id=user_id)
        return sent

    def _send_forever(self) -> None:
        while True:
            time.sleep(self.every_seconds)
            try:
                self.send()
            except Exception:  # the thread must outlive any one batch
                logger.exception("sending heartbeats failed")
