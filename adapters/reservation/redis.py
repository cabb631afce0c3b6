"""Seat locks in Redis (SET NX PX semantics for several seats at once, in one script).

An accelerator: it turns most losing attempts away before they reach the database. If
Redis is down the hold goes on to the database, which decides anyway.
"""

import logging
from pathlib import Path

import redis.exceptions

from adapters.lua_script import LuaScript
from adapters.queue.connection import QueueRedis
from adapters.queue.redis import schedule_keys

logger = logging.getLogger(__name__)
LUA_DIR = Path(__file__).parent / "lua"


def seat_lock_keys(schedule_id: int, seat_ids: tuple[int, ...]) -> list[str]:
    return [f"seat:{{s:{schedule_id}}}:{seat_id}" for seat_id in seat_ids]


class RedisSeatLocks:
    def __init__(self, client: QueueRedis) -> None:
        self.client = client
        self.lock = LuaScript((LUA_DIR / "lock_seats.lua").read_text())
        self.unlock = LuaScript((LUA_DIR / "unlock_seats.lua").read_text())

    def acquire(
        self, *, schedule_id: int, seat_ids: tuple[int, ...], owner: str, ttl_ms: int
    ) -> bool:
        try:
            keys = [schedule_keys(schedule_id)[0], *seat_lock_keys(schedule_id, seat_ids)]
            return bool(self.lock(self.client, keys, [owner, ttl_ms]))
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            logger.warning("seat locks unavailable, the database decides alone: %s", exc)
            return True

    def release(self, *, schedule_id: int, seat_ids: tuple[int, ...], owner: str) -> None:
        try:
            self.unlock(self.client, seat_lock_keys(schedule_id, seat_ids), [owner])
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            logger.warning("seat locks not released (they expire by themselves): %s", exc)
