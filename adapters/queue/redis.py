"""The waiting room in Redis: one Lua script call per operation.

Scripts live in lua/ and are read once per process (adapters.lua_script reloads them after
a Redis restart). Every key of a schedule carries
the hash tag {s:<id>}, so each script touches one Redis Cluster slot.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis.exceptions

from adapters.lua_script import LuaScript
from adapters.queue.connection import QueueRedis
from domain.concert.model import SaleClosed
from domain.queue.model import (
    EntryRateLimited,
    NotInQueue,
    Place,
    PlaceState,
    QueueNotFound,
    QueueSettings,
    QueueStats,
    QueueUnavailable,
    retry_after_seconds,
)

LUA_DIR = Path(__file__).parent / "lua"
SCRIPTS = ("enter", "status", "leave", "tick", "touch", "stats", "throttle")
SCHEDULES_KEY = "q:schedules"  # every schedule with a waiting room, for the periodic tick
REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def schedule_keys(schedule_id: int) -> list[str]:
    tag = f"{{s:{schedule_id}}}"
    return [f"q:{tag}:{part}" for part in ("cfg", "wait", "seen", "active", "pre", "state")]


@contextmanager
def redis_unavailable_as_queue_unavailable() -> Iterator[None]:
    try:
        yield
    except REDIS_ERRORS as exc:
        raise QueueUnavailable(f"Redis: {exc}") from exc


def _ms(moment: Any) -> int:
    return int(moment.timestamp() * 1000)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisWaitingRoom:
    def __init__(
        self,
        client: QueueRedis,
        *,
        user_rate: float,
        user_burst: int,
        ip_rate: float,
        ip_burst: int,
        max_sweep: int = 5000,
    ) -> None:
        self.client = client
        self.limits = (user_rate, user_burst, ip_rate, ip_burst)
        self.max_sweep = max_sweep
        lib = (LUA_DIR / "lib.lua").read_text()
        self.scripts = {
            name: LuaScript(lib + "\n" + (LUA_DIR / f"{name}.lua").read_text()) for name in SCRIPTS
        }

    def _run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        with redis_unavailable_as_queue_unavailable():
            return self.scripts[name](self.client, keys, args)

    @staticmethod
    def _place(reply: list[Any], *, schedule_id: int) -> Place:
        state = _text(reply[0])
        if state == "no_config":
            raise QueueNotFound(f"no waiting room for schedule {schedule_id}")
        if state == "closed":
            raise SaleClosed(f"the sale of schedule {schedule_id} is closed")
        if state == "rate_limited":
            raise EntryRateLimited(
                "too many attempts to enter; try again shortly",
                retry_after=retry_after_seconds(int(reply[1])),
            )
        if state == "not_in_queue":
            raise NotInQueue(f"you are not in the waiting room of schedule {schedule_id}")
        return Place(
            state=PlaceState(state),
            position=int(reply[1]),
            eta_seconds=int(reply[2]),
            active_until_ms=int(reply[3]),
            entry_number=int(reply[4]),
            created=bool(int(reply[5])),
            opens_at_ms=int(reply[6]),
        )

    def throttle(
        self, *, action: str, schedule_id: int, user_id: int, rate: float, burst: int, now_ms: int
    ) -> int:
        """Takes one of the fan's tokens for `action`; 0, or the milliseconds to wait."""
        key = f"q:{{s:{schedule_id}}}:rl:{action}:{user_id}"
        return int(self._run("throttle", [key], [now_ms, rate, burst]))

    def enter(self, *, schedule_id: int, user_id: int, client_ip: str, now_ms: int) -> Place:
        keys = schedule_keys(schedule_id)
        tag = f"{{s:{schedule_id}}}"
        keys += [f"q:{tag}:rl:u:{user_id}", f"q:{tag}:rl:ip:{client_ip}"]
        reply = self._run("enter", keys, [user_id, now_ms, *self.limits])
        return self._place(reply, schedule_id=schedule_id)

    def place(self, *, schedule_id: int, user_id: int, now_ms: int) -> Place:
        reply = self._run("status", schedule_keys(schedule_id), [user_id, now_ms])
        return self._place(reply, schedule_id=schedule_id)

    def leave(self, *, schedule_id: int, user_id: int) -> bool:
        return bool(self._run("leave", schedule_keys(schedule_id), [user_id]))

    def touch(self, *, schedule_id: int, user_id: int, now_ms: int) -> int:
        return int(self._run("touch", schedule_keys(schedule_id), [user_id, now_ms]))

    def tick(self, *, schedule_id: int, now_ms: int) -> list[int]:
        admitted = self._run("tick", schedule_keys(schedule_id), [now_ms, self.max_sweep])
        return [int(user) for user in admitted]

    def stats(self, *, schedule_id: int, now_ms: int) -> QueueStats:
        r = self._run("stats", schedule_keys(schedule_id), [now_ms])
        return QueueStats(
            waiting=int(r[0]),
            active=int(r[1]),
            pre_queue=int(r[2]),
            admitted_total=int(r[3]),
            abandoned_total=int(r[4]),
            entered_total=int(r[5]),
            admitted_per_second=float(_text(r[6])),
            paused=bool(int(r[7])),
        )

    def store_settings(self, settings: QueueSettings, *, now_ms: int) -> None:
        """Writes the settings (live changes apply at the next admission step)."""
        cfg, *_, state = schedule_keys(settings.schedule_id)
        opens_ms = _ms(settings.opens_at)
        with redis_unavailable_as_queue_unavailable():
            self.client.hset(
                cfg,
                mapping={
                    "max_active": settings.max_active,
                    "admit_per_second": settings.admit_per_second,
                    "abandon_ms": settings.abandon_after_seconds * 1000,
                    "active_ttl_ms": settings.active_ttl_seconds * 1000,
                    "hold_ttl_ms": settings.hold_ttl_seconds * 1000,
                    "opens_ms": opens_ms,
                    "closes_ms": _ms(settings.closes_at),
                    "cancelled": int(settings.cancelled),
                },
            )
            if opens_ms > now_ms:  # opening moved to the future: shuffle again when it comes
                self.client.hdel(state, "opened")
            self.client.sadd(SCHEDULES_KEY, settings.schedule_id)

    def set_paused(self, *, schedule_id: int, paused: bool) -> None:
        with redis_unavailable_as_queue_unavailable():
            self.client.hset(schedule_keys(schedule_id)[0], "paused", int(paused))

    def purge(self, *, schedule_id: int) -> None:
        """Empties the queue and the active set; keeps the settings."""
        _, wait, seen, active, pre, state = schedule_keys(schedule_id)
        with redis_unavailable_as_queue_unavailable():
            self.client.delete(wait, seen, active, pre, state)

    def waiting_users(self, *, schedule_id: int) -> list[tuple[int, int]]:
        """(user, entry number) in queue order, for operators' exports."""
        wait = schedule_keys(schedule_id)[1]
        rows: list[tuple[bytes, float]] = self.client.zrange(wait, 0, -1, withscores=True)  # type: ignore[assignment]
        return [(int(user), int(entry)) for user, entry in rows]

    def known_schedules(self) -> list[int]:
        with redis_unavailable_as_queue_unavailable():
            return sorted(int(s) for s in self.client.smembers(SCHEDULES_KEY))
