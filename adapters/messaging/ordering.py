"""Handling the events of one schedule in the order they were committed, per consumer group,
however many Celery workers run (docs/EVENTS.md, "Order per schedule").

The consumer posts each event to its schedule's mailbox: a Redis sorted set per (schedule,
group) scored by `sequence`, the outbox row id. A consumed batch is posted in one round
trip, whatever schedules it touches. One drain task at a time per mailbox, held by a claim
key, handles the events from the lowest sequence up, back to back, so a busy schedule does
not wait between events. Before each event the drain checks that the schedule's previous
event of the group's types is handled: it may still be on its way from another topic. The
previous events of a whole batch come from one outbox query (an index on
(partition_key, id)). "Handled up to" is one number per (schedule, group), raised after each
event. An event only runs after all earlier ones, so handling N means everything before N
is done.
"""

import json
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection

from adapters.lua_script import LuaScript

MARK_HANDLED = LuaScript((Path(__file__).parent / "lua" / "mark_handled.lua").read_text())
# A schedule's mailboxes go a month after their last event.
KEY_TTL_SECONDS = 30 * 24 * 3600

# The last event of the types before the batch, and every one inside it.
PREVIOUS = (
    "(SELECT id FROM outbox_event WHERE partition_key = %s AND id < %s AND event_type IN"
    " ({types}) ORDER BY id DESC LIMIT 1) UNION ALL (SELECT id FROM outbox_event WHERE"
    " partition_key = %s AND id >= %s AND id < %s AND event_type IN ({types}))"
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
        return bool(post_events(self.redis, [(self, topic, envelope)]))

    def next_events(self, limit: int) -> list[Posted]:
        rows = self.redis.zrange(self.pending, 0, limit - 1, withscores=True)
        return [
            Posted(int(score), (item := json.loads(member))["topic"], item["envelope"])
            for member, score in rows
        ]

    def handled_up_to(self) -> int:
        return int(self.redis.hget(self.state, "handled") or 0)

    def previous_sequences(
        self, sequences: Sequence[int], event_types: Iterable[str]
    ) -> list[int | None]:
        """For each of these ascending sequences, the schedule's previous event of the types
        (None for none): one query for the lot."""
        if not sequences:
            return []
        types = list(event_types)
        key = str(self.schedule_id)
        with connection.cursor() as cursor:
            cursor.execute(
                PREVIOUS.format(types=", ".join(["%s"] * len(types))),
                [key, sequences[0], *types, key, sequences[0], sequences[-1], *types],
            )
            earlier = sorted(int(row[0]) for row in cursor.fetchall())
        return [
            earlier[at - 1] if (at := bisect_left(earlier, sequence)) else None
            for sequence in sequences
        ]

    def its_turn(self, sequence: int, event_types: Iterable[str]) -> bool:
        [previous] = self.previous_sequences([sequence], event_types)
        return previous is None or self.handled_up_to() >= previous

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


def post_events(
    redis: Any, posts: Iterable[tuple[ScheduleMailbox, str, dict[str, Any]]]
) -> list[ScheduleMailbox]:
    """Adds each (mailbox, topic, envelope) in one round trip. Returns the mailboxes that no
    drain holds: the caller must start a drain for each."""
    pipe = redis.pipeline(transaction=False)
    boxes: dict[str, ScheduleMailbox] = {}
    for box, topic, envelope in posts:
        member = json.dumps({"topic": topic, "envelope": envelope}, separators=(",", ":"))
        pipe.zadd(box.pending, {member: int(envelope["sequence"])}, nx=True)
        boxes.setdefault(box.claim, box)
    for box in boxes.values():
        pipe.expire(box.pending, KEY_TTL_SECONDS)
        pipe.set(box.claim, 1, nx=True, ex=box.claim_seconds)
    if not boxes:
        return []
    claimed = pipe.execute()[-2 * len(boxes) + 1 :: 2]
    return [box for box, free in zip(boxes.values(), claimed, strict=True) if free]
