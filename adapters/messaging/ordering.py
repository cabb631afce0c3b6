"""Handling the events of one schedule in the order they were committed, per consumer group,
however many Celery workers run (docs/EVENTS.md, "Order per schedule").

The consumer posts each event to its schedule's mailbox: a Redis sorted set per (schedule,
group) scored by `sequence`, the outbox row id. One drain task at a time per mailbox, held
by a claim key, handles the events from the lowest sequence up, back to back, so a busy
schedule does not wait between events. Before each event the drain checks that the
schedule's previous event of the group's types, looked up in the outbox by an index on
(partition_key, id), is handled. It may still be on its way from another topic. "Handled up
to" is one number per (schedule, group), raised after each event. An event only runs after
all earlier ones, so handling N means everything before N is done.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection

from adapters.lua_script import LuaScript

MARK_HANDLED = LuaScript((Path(__file__).parent / "lua" / "mark_handled.lua").read_text())
# A schedule's mailboxes go a month after their last event.
KEY_TTL_SECONDS = 30 * 24 * 3600

PREVIOUS = (
    "SELECT id FROM outbox_event WHERE partition_key = %s AND id < %s AND event_type IN ({types})"
    " ORDER BY id DESC LIMIT 1"
)


@dataclass(frozen=True)
class Posted:
    sequence: int
    topic: str
    envelope: dict[str, Any]


class ScheduleMailbox:
    def __init__(self, redis: Any, *, group: str, schedule_id: int, claim_seconds: int) -> None:
        self.redis = redis
        self.group = group
        self.schedule_id = schedule_id
        self.claim_seconds = claim_seconds
        base = f"events:{{s:{schedule_id}}}:{group}"
        self.pending, self.state, self.claim = f"{base}:pending", f"{base}:state", f"{base}:drain"

    def post(self, *, topic: str, envelope: dict[str, Any]) -> bool:
        """Adds the event; True if no drain holds the mailbox and the caller must start one."""
        member = json.dumps({"topic": topic, "envelope": envelope}, separators=(",", ":"))
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(self.pending, {member: int(envelope["sequence"])}, nx=True)
        pipe.expire(self.pending, KEY_TTL_SECONDS)
        pipe.set(self.claim, 1, nx=True, ex=self.claim_seconds)
        return bool(pipe.execute()[-1])

    def next_events(self, limit: int) -> list[Posted]:
        rows = self.redis.zrange(self.pending, 0, limit - 1, withscores=True)
        return [
            Posted(int(score), (item := json.loads(member))["topic"], item["envelope"])
            for member, score in rows
        ]

    def handled_up_to(self) -> int:
        return int(self.redis.hget(self.state, "handled") or 0)

    def its_turn(self, sequence: int, event_types: Iterable[str]) -> bool:
        types = list(event_types)
        with connection.cursor() as cursor:
            cursor.execute(
                PREVIOUS.format(types=", ".join(["%s"] * len(types))),
                [str(self.schedule_id), sequence, *types],
            )
            row = cursor.fetchone()
        return row is None or self.handled_up_to() >= int(row[0])

    def waiting_since(self, sequence: int, now: float) -> float:
        """When the drain first found this event waiting for its previous one."""
        field = f"waiting:{sequence}"
        self.redis.hsetnx(self.state, field, f"{now:.3f}")
        return float(self.redis.hget(self.state, field))

    def failed(self, sequence: int) -> int:
        """Counts a failed attempt at the event; returns the attempts so far."""
        return int(self.redis.hincrby(self.state, f"failures:{sequence}", 1))

    def done(self, sequence: int) -> None:
        MARK_HANDLED(self.redis, [self.pending, self.state], [sequence, KEY_TTL_SECONDS])

    def release(self) -> bool:
        """Gives up the claim. True if events came in meanwhile and the caller must start a
        new drain. Releasing before looking means no event is left without one."""
        self.redis.delete(self.claim)
        if not self.redis.zcard(self.pending):
            return False
        return bool(self.redis.set(self.claim, 1, nx=True, ex=self.claim_seconds))
