"""The state of each line as this process last read it, reused for QUEUE_STATE_MAX_AGE_SECONDS.

Every reader of the public state and every heartbeat answered without Redis (CheckPlace)
shares it, so a process asks Redis at most once a second per schedule however many fans
read or beat. Unknown schedules are remembered too (a flood of them must not reach Redis,
nor grow this past MAX_SCHEDULES).
"""

import threading
import time
from collections.abc import Callable

from domain.queue.model import QueueNotFound, QueueState
from domain.queue.usecases import ReadQueueState

MAX_SCHEDULES = 10_000


class CachedLineStates:
    def __init__(self, read: ReadQueueState, *, max_age_seconds: Callable[[], float]) -> None:
        # Asked at each read: settings may change while the process runs (tests do).
        self.read, self.max_age_seconds = read, max_age_seconds
        self._states: dict[int, tuple[float, QueueState | QueueNotFound]] = {}
        self._lock = threading.Lock()

    def current(self, *, schedule_id: int) -> QueueState:
        now = time.monotonic()
        known = self._states.get(schedule_id)
        if known is None or known[0] <= now:
            state: QueueState | QueueNotFound
            try:
                state = self.read(schedule_id=schedule_id)
            except QueueNotFound as missing:
                state = missing
            known = (now + self.max_age_seconds(), state)
            with self._lock:
                if len(self._states) >= MAX_SCHEDULES:
                    self._states.clear()
                self._states[schedule_id] = known
        if isinstance(known[1], QueueNotFound):
            raise known[1]
        return known[1]

    def forget(self) -> None:
        """As if a second had passed (tests)."""
        with self._lock:
            self._states.clear()
