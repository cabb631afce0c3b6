"""The waiting room in Redis: one Lua script call per operation.

Scripts live in lua/ and are read once per process (adapters.lua_script reloads them after
a Redis restart). Every key of a schedule carries
the hash tag {s:<id>}, so each script touches one Redis Cluster slot.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import redis.exceptions

from adapters.lua_script import LuaScript
from adapters.queue.connection import QueueRedis
from domain.concert.model import SaleClosed
from domain.queue.admission import AdaptiveAdmission, RateDecision
from domain.queue.model import (
    EntryRateLimited,
    NotInQueue,
    Place,
    PlaceState,
    QueueNotFound,
    QueuePhase,
    QueueSettings,
    QueueState,
    QueueStats,
    QueueUnavailable,
    SeatsLeft,
    retry_after_seconds,
)

LUA_DIR = Path(__file__).parent / "lua"
SCRIPTS = ("enter", "status", "beats", "leave", "tick", "touch", "stats", "state")
# In a schedule's settings when adaptive admission is on.
ADAPTIVE_FIELDS = ("adaptive", "latency_target_ms", "rate_ceiling")
# What the steering writes (steer), gone with adaptive admission.
STEERED_FIELDS = (
    "rate_now",
    "rate_reason",
    "rate_p95_ms",
    "rate_growth",
    "rate_limit",
    "slots_now",
)
SCHEDULES_KEY = "q:schedules"  # every schedule with a waiting room, for the periodic tick
REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


@lru_cache(maxsize=1024)  # built on every call of every fan otherwise
def schedule_keys(schedule_id: int) -> tuple[str, ...]:
    tag = f"{{s:{schedule_id}}}"
    return tuple(f"q:{tag}:{part}" for part in ("cfg", "line", "beats", "active", "pre", "state"))


def claims_key(schedule_id: int) -> str:
    """Admitted fans who have not held a seat yet (see lua/lib.lua)."""
    return f"q:{{s:{schedule_id}}}:claims"


def fan_key(schedule_id: int, user_id: int) -> str:
    """The small hash that holds this fan's record among 100 (see lua/lib.lua)."""
    return f"q:{{s:{schedule_id}}}:f:{user_id // 100}"


def fan_keys(schedule_id: int, user_id: int) -> tuple[str, ...]:
    return (*schedule_keys(schedule_id), fan_key(schedule_id, user_id))


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


def _seats_left(free: Any, held: Any) -> SeatsLeft | None:
    """The seats as the tick counted them and the hold gate followed ('' before a count)."""
    if not _text(free):
        return None
    return SeatsLeft(free=max(0, int(_text(free))), held=max(0, int(_text(held))))


class RedisWaitingRoom:
    def __init__(
        self,
        client: QueueRedis,
        *,
        user_rate: float,
        user_burst: int,
        ip_rate: float,
        ip_burst: int,
        open_batch: int = 500,
    ) -> None:
        self.client = client
        self.open_batch = open_batch
        self.limits = (user_rate, user_burst, ip_rate, ip_burst)
        lib = (LUA_DIR / "lib.lua").read_text()
        self.scripts = {
            name: LuaScript(lib + "\n" + (LUA_DIR / f"{name}.lua").read_text()) for name in SCRIPTS
        }

    def _run(self, name: str, keys: Sequence[str], args: list[Any]) -> Any:
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
            entry_number=int(reply[4]) or None,
            created=bool(int(reply[5])),
            opens_at_ms=int(reply[6]),
            heartbeat_seconds=int(reply[7]) // 1000,
        )

    def enter(self, *, schedule_id: int, user_id: int, client_ip: str, now_ms: int) -> Place:
        tag = f"{{s:{schedule_id}}}"
        keys = (
            *fan_keys(schedule_id, user_id),
            f"q:{tag}:rl:u:{user_id}",
            f"q:{tag}:rl:ip:{client_ip}",
        )
        reply = self._run("enter", keys, [user_id, now_ms, *self.limits, self.open_batch])
        return self._place(reply, schedule_id=schedule_id)

    def place(self, *, schedule_id: int, user_id: int, now_ms: int) -> Place:
        reply = self._run(
            "status", fan_keys(schedule_id, user_id), [user_id, now_ms, self.open_batch]
        )
        return self._place(reply, schedule_id=schedule_id)

    def record_beats(self, *, schedule_id: int, user_ids: list[int], now_ms: int) -> list[int]:
        """The heartbeats of these waiting fans, and one admission step; returns those who
        had no place left (lost, left, never had one), not counting any admitted meanwhile."""
        reply = self._run("beats", schedule_keys(schedule_id), [now_ms, self.open_batch, *user_ids])
        return [int(user) for user in reply]

    def leave(self, *, schedule_id: int, user_id: int) -> bool:
        return bool(self._run("leave", fan_keys(schedule_id, user_id), [user_id]))

    def touch(self, *, schedule_id: int, user_id: int, now_ms: int) -> int:
        return int(self._run("touch", schedule_keys(schedule_id), [user_id, now_ms]))

    def tick(self, *, schedule_id: int, now_ms: int, seats: SeatsLeft | None = None) -> list[int]:
        """One admission step, bounded by `seats` (the last count stands when None). An
        opening under way is finished first, one bounded script call at a time, so other
        commands run between the steps."""
        while True:
            opening, admitted = self._step(schedule_id=schedule_id, now_ms=now_ms, seats=seats)
            if not opening:
                return admitted

    def _step(
        self, *, schedule_id: int, now_ms: int, seats: SeatsLeft | None = None
    ) -> tuple[bool, list[int]]:
        """One bounded tick script: (an opening is still under way, fans admitted)."""
        counted = ["", ""] if seats is None else [seats.free, seats.held]
        keys = schedule_keys(schedule_id)
        opening, admitted = self._run("tick", keys, [now_ms, self.open_batch, *counted])
        return bool(int(opening)), [int(user) for user in admitted]

    def state(self, *, schedule_id: int, now_ms: int) -> QueueState:
        reply = self._run("state", schedule_keys(schedule_id), [now_ms])
        if _text(reply[0]) == "no_config":
            raise QueueNotFound(f"no waiting room for schedule {schedule_id}")
        return QueueState(
            schedule_id=schedule_id,
            phase=QueuePhase(_text(reply[0])),
            serving=int(reply[1]),
            waiting=int(reply[2]),
            admitted_per_second=float(_text(reply[3])),
            opens_at_ms=int(reply[4]),
            as_of_ms=now_ms,
            seats=_seats_left(reply[5], reply[6]),
            heartbeat_seconds=int(reply[7]) // 1000,
            admission_rate=int(reply[9]),
            eta_points=tuple(
                (int(reply[8][i]), int(reply[8][i + 1])) for i in range(0, len(reply[8]), 2)
            ),
        )

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
            serving=int(r[8]),
            admission_rate=int(r[9]),
            rate_reason=_text(r[10]),
            steering_p95_ms=float(_text(r[11])) if _text(r[11]) else None,
            seats_free=int(_text(r[12])) if _text(r[12]) else None,
            claims=int(r[13]),
            slots=int(r[14]),
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
                    "abandon_ms": settings.abandon_after_ms,
                    "heartbeat_ms": settings.heartbeat_seconds * 1000,
                    "active_ttl_ms": settings.active_ttl_seconds * 1000,
                    "hold_ttl_ms": settings.hold_ttl_seconds * 1000,
                    "opens_ms": opens_ms,
                    "closes_ms": _ms(settings.closes_at),
                    "cancelled": int(settings.cancelled),
                },
            )
            self._store_admission_mode(cfg, settings)
            if opens_ms > now_ms:  # opening moved to the future: shuffle again when it comes
                self.client.hdel(state, "opened")
            self.client.sadd(SCHEDULES_KEY, settings.schedule_id)

    def _store_admission_mode(self, cfg: str, settings: QueueSettings) -> None:
        adaptive = settings.adaptive
        if adaptive is None:
            self.client.hdel(cfg, *ADAPTIVE_FIELDS, *STEERED_FIELDS)
            return
        pipe = self.client.pipeline(transaction=False)
        pipe.hset(
            cfg,
            mapping={
                "adaptive": 1,
                "latency_target_ms": adaptive.latency_target_ms,
                "rate_ceiling": adaptive.ceiling,
            },
        )
        # A steered rate survives a settings change; a first one starts at the fixed rate,
        # with the slots of that rate.
        pipe.hsetnx(cfg, "rate_now", settings.admit_per_second)
        pipe.hsetnx(cfg, "slots_now", adaptive.slots_at(settings.admit_per_second))
        pipe.execute()

    def adaptive_admission(self, *, schedule_id: int) -> tuple[AdaptiveAdmission, int] | None:
        """The schedule's steering target and current rate, if adaptive admission is on and
        fans are waiting in an open queue (steering an idle queue would only drive the rate
        up before anyone books)."""
        cfg, line, *_, state = schedule_keys(schedule_id)
        with redis_unavailable_as_queue_unavailable():
            pipe = self.client.pipeline(transaction=False)
            pipe.hmget(
                cfg, *ADAPTIVE_FIELDS, "max_active", "rate_now", "paused", "admit_per_second"
            )
            pipe.hget(state, "opened")
            pipe.llen(line)
            (on, target, ceiling, capacity, rate, paused, floor), opened, waiting = pipe.execute()
        if not on or paused == b"1" or opened != b"1" or not waiting:
            return None
        control = AdaptiveAdmission(
            latency_target_ms=int(target),
            ceiling=int(ceiling),
            capacity=int(capacity),
            floor=int(floor),
        )
        return control, int(rate)

    def steer(
        self,
        *,
        schedule_id: int,
        decision: RateDecision,
        slots: int,
        growth_per_second: float,
        limit: int,
    ) -> None:
        with redis_unavailable_as_queue_unavailable():
            self.client.hset(
                schedule_keys(schedule_id)[0],
                mapping={
                    "rate_now": decision.rate,
                    "slots_now": slots,
                    "rate_reason": decision.reason.value,
                    "rate_p95_ms": "" if decision.p95_ms is None else f"{decision.p95_ms:.1f}",
                    "rate_growth": f"{growth_per_second:.6f}",
                    "rate_limit": limit,
                },
            )

    def set_paused(self, *, schedule_id: int, paused: bool) -> None:
        with redis_unavailable_as_queue_unavailable():
            self.client.hset(schedule_keys(schedule_id)[0], "paused", int(paused))

    def purge(self, *, schedule_id: int) -> None:
        """Empties the queue and the active set; keeps the settings."""
        _, line, beats, active, pre, state = schedule_keys(schedule_id)
        with redis_unavailable_as_queue_unavailable():
            for key in self.client.scan_iter(match=f"q:{{s:{schedule_id}}}:f:*", count=1000):
                self.client.delete(key)
            self.client.delete(line, beats, active, pre, state, claims_key(schedule_id))

    def waiting_users(self, *, schedule_id: int) -> list[tuple[int, int]]:
        """(user, entry number) of every place still held, in line order, for operators'
        exports. Not atomic: a line moving meanwhile may show a fan twice or not at all."""
        _, line, *_, state = schedule_keys(schedule_id)
        # While an opening is under way, the line starts after the numbers still reserved.
        serving, next_early = self.client.hmget(state, ["serving", "next_early"])
        head = int(next_early or serving or 0)
        users = [int(user) for user in self.client.lrange(line, 0, -1)]
        pipe = self.client.pipeline(transaction=False)
        for user in users:
            pipe.hget(fan_key(schedule_id, user), str(user))
        held = []
        for offset, (user, record) in enumerate(zip(users, pipe.execute(), strict=True)):
            entry = head + 1 + offset
            if record is not None and int(_text(record).split(":")[0]) == entry:
                held.append((user, entry))
        return held

    def known_schedules(self) -> list[int]:
        with redis_unavailable_as_queue_unavailable():
            return sorted(int(s) for s in self.client.smembers(SCHEDULES_KEY))
