"""The seat map kept in Redis as ready-to-send JSON bytes, patched in place when seats
change (write-through), so that the next read shows a hold, a release or a sale at once,
to the fan who made it too.

Every seat's status sits in a slot of fixed width (`"held"` is padded with spaces, which
JSON allows between tokens), and once more as one letter in `statuses` at the end of the
body (a, h or s, in the map's order: what a fan who has the map already asks for again,
`read_statuses`, a byte a seat instead of a hundred). The byte offsets of both are kept
beside the body: a patch is two SETRANGEs per seat, whatever the size of the map. The map
is built in full from the database only when it is missing (first read, expiry after
`ttl_seconds`, or an operator's bulk change); patches logged while a build ran are applied
to it when it is stored. All keys of a schedule share the hash tag {s:<id>} (one Redis
Cluster slot).
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis.exceptions

from adapters.lua_script import LuaScript
from adapters.queue.connection import QueueRedis
from domain.concert.model import SeatStatus

logger = logging.getLogger(__name__)
LUA_DIR = Path(__file__).parent / "lua"
REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

STATUS_SLOT_WIDTH = len('"available"')
# Patches kept in the log, for maps being built meanwhile (see lua/seat_map_store.lua).
LOG_SEATS = 5000


def status_slot(status: str) -> str:
    """A status as it stands in the body: quoted, padded to the slot's width."""
    return f'"{status}"'.ljust(STATUS_SLOT_WIDTH)


# The layout of the stored map, in its keys: a server of the next version never patches or
# reads a map the one before stored (version 2 added `statuses`).
KEYS_VERSION = "sm2"


def seat_map_keys(schedule_id: int) -> list[str]:
    tag = f"{{s:{schedule_id}}}"
    return [f"{KEYS_VERSION}:{tag}:{part}" for part in ("body", "offsets", "meta", "log")]


@dataclass(frozen=True, slots=True)
class SeatOffsets:
    """Where a seat's status stands in the body: its slot in `seats`, its letter in
    `statuses`."""

    seat_id: int
    slot: int
    letter: int


@dataclass(frozen=True, slots=True)
class BuiltSeatMap:
    """A map just built from the database, and where each seat's status stands in it."""

    body: bytes
    statuses: tuple[int, int]  # where the letters start in the body, and how many
    offsets: list[SeatOffsets]


@dataclass(frozen=True, slots=True)
class StoredSeatMap:
    """What Redis holds: the body (None when it must be built) and its version."""

    body: bytes | None
    builds: int
    logged: int

    @property
    def etag(self) -> str:
        return f'"{self.builds}.{self.logged}"'


class RedisSeatMap:
    def __init__(self, client: QueueRedis, *, ttl_seconds: int) -> None:
        self.client = client
        self.ttl_seconds = ttl_seconds
        lib = (LUA_DIR / "seat_map_lib.lua").read_text()
        self.scripts = {
            name: LuaScript(lib + "\n" + (LUA_DIR / f"seat_map_{name}.lua").read_text())
            for name in ("read", "statuses", "store", "patch", "forget")
        }

    def _run(self, name: str, keys: list[str], args: Sequence[Any]) -> Any:
        return self.scripts[name](self.client, keys, args)

    def read(self, schedule_id: int) -> StoredSeatMap:
        """Raises a Redis error when Redis is down (the caller builds from the database)."""
        body_key, _, meta_key, _ = seat_map_keys(schedule_id)
        body, builds, logged = self._run("read", [body_key, meta_key], [])
        return StoredSeatMap(body=body or None, builds=int(builds), logged=int(logged))

    def read_statuses(self, schedule_id: int) -> StoredSeatMap:
        """The stored map's `statuses` letters as the body, and its version (the same as the
        whole map's). Raises a Redis error when Redis is down."""
        body_key, _, meta_key, _ = seat_map_keys(schedule_id)
        letters, builds, logged = self._run("statuses", [body_key, meta_key], [])
        return StoredSeatMap(
            body=letters if letters is not None else None, builds=int(builds), logged=int(logged)
        )

    def store(self, schedule_id: int, *, since: int, built: BuiltSeatMap) -> StoredSeatMap | None:
        """Stores a map built from rows read after `since` patches; None if it was not stored
        (too much changed meanwhile, or Redis is down)."""
        args: list[Any] = [since, self.ttl_seconds, LOG_SEATS, built.body, *built.statuses]
        for seat in built.offsets:
            args += [seat.seat_id, f"{seat.slot},{seat.letter}"]
        try:
            if not self._run("store", seat_map_keys(schedule_id), args):
                return None
            return self.read(schedule_id)
        except REDIS_ERRORS as exc:
            logger.warning("seat map of schedule %s not stored: %s", schedule_id, exc)
            return None

    def seats_held(self, *, schedule_id: int, seat_ids: Sequence[int]) -> None:
        self._patch(schedule_id, seat_ids, SeatStatus.HELD)

    def seats_freed(self, *, schedule_id: int, seat_ids: Sequence[int]) -> None:
        self._patch(schedule_id, seat_ids, SeatStatus.AVAILABLE)

    def seats_sold(self, *, schedule_id: int, seat_ids: Sequence[int]) -> None:
        self._patch(schedule_id, seat_ids, SeatStatus.SOLD)

    def _patch(self, schedule_id: int, seat_ids: Sequence[int], status: SeatStatus) -> None:
        """After the database committed the change. If Redis is down, the map catches up
        when it is built again (at most `ttl_seconds` later)."""
        if not seat_ids:
            return
        try:
            slot = status_slot(status.value)
            self._run("patch", seat_map_keys(schedule_id), [slot, LOG_SEATS, *seat_ids])
        except REDIS_ERRORS as exc:
            logger.warning("seat map of schedule %s not patched: %s", schedule_id, exc)

    def forget(self, schedule_id: int) -> None:
        try:
            self._run("forget", seat_map_keys(schedule_id), [LOG_SEATS])
        except REDIS_ERRORS as exc:
            logger.warning("seat map of schedule %s not cleared: %s", schedule_id, exc)
