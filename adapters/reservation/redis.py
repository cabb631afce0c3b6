"""What Redis checks for a hold, in one script call, and the fail-fast seat locks.

The locks are an accelerator: they turn most losing attempts away before they reach the
database, which decides anyway. A lock lost with a Redis restart costs only that.
"""

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from adapters.lua_script import LuaScript
from adapters.queue.connection import QueueRedis
from adapters.queue.redis import LUA_DIR as QUEUE_LUA_DIR
from adapters.queue.redis import (
    REDIS_ERRORS,
    redis_unavailable_as_queue_unavailable,
    schedule_keys,
)
from domain.queue.model import HoldRateLimited, NotAdmitted
from domain.reservation.model import FanGate, SeatsBusy

logger = logging.getLogger(__name__)
LUA_DIR = Path(__file__).parent / "lua"


def seat_lock_keys(schedule_id: int, seat_ids: tuple[int, ...]) -> list[str]:
    return [f"seat:{{s:{schedule_id}}}:{seat_id}" for seat_id in seat_ids]


@contextmanager
def _database_decides_alone() -> Iterator[None]:
    try:
        yield
    except REDIS_ERRORS as exc:
        logger.warning("seat locks unavailable, the database decides alone: %s", exc)


class RedisSeatLocks:
    def __init__(self, client: QueueRedis) -> None:
        self.client = client
        lib = (QUEUE_LUA_DIR / "lib.lua").read_text()
        self.gate = LuaScript(lib + "\n" + (LUA_DIR / "hold_gate.lua").read_text())
        self.unlock = LuaScript((LUA_DIR / "unlock_seats.lua").read_text())

    def acquire(
        self,
        *,
        schedule_id: int,
        user_id: int,
        seat_ids: tuple[int, ...],
        owner: str,
        ttl_ms: int,
        now_ms: int,
        gate: FanGate | None,
    ) -> None:
        keys = [
            *schedule_keys(schedule_id),
            f"q:{{s:{schedule_id}}}:rl:hold:{user_id}",
            *seat_lock_keys(schedule_id, seat_ids),
        ]
        checked = "" if gate is None else "1"
        rate, burst = (0.0, 0) if gate is None else (gate.rate, gate.burst)
        args = [user_id, owner, now_ms, rate, burst, ttl_ms, checked]
        # A fan's hold needs the slot check: Redis down is a 503. Without a gate the locks
        # only spare the database work, and the database decides alone.
        reply = None
        with (
            redis_unavailable_as_queue_unavailable()
            if gate is not None
            else _database_decides_alone()
        ):
            reply = self.gate(self.client, keys, args)
        if reply is None:
            return
        outcome = reply[0].decode() if isinstance(reply[0], bytes) else str(reply[0])
        if outcome == "not_admitted":
            raise NotAdmitted("your slot was released or has expired; join the queue again")
        if outcome == "rate_limited":
            raise HoldRateLimited(
                "Too many holds in a short time; try again shortly.",
                retry_after=max(1, math.ceil(int(reply[1]) / 1000)),
            )
        if outcome == "busy":
            raise SeatsBusy("another fan is holding one of these seats")

    def release(self, *, schedule_id: int, seat_ids: tuple[int, ...], owner: str) -> None:
        try:
            self.unlock(self.client, seat_lock_keys(schedule_id, seat_ids), [owner])
        except REDIS_ERRORS as exc:
            logger.warning("seat locks not released (they expire by themselves): %s", exc)
