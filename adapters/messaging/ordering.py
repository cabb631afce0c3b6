"""Handling the events of one schedule in the order they were committed, per consumer group,
however many Celery workers run (docs/EVENTS.md, "Order per schedule").

A schedule's events share one partition of the events topic, so a group's consumer reads
them in commit order. Celery workers would finish them in any order, so the consumer posts
each event to its schedule's mailbox: a Redis sorted set per (schedule, group) scored by
`sequence`, the outbox row id. A consumed batch is posted in one round trip, whatever
schedules it touches. One drain task at a time per mailbox, held by a claim key, handles
the events from the lowest sequence up, back to back, so a busy schedule does not wait
between events.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# A schedule's mailboxes go a month after their last event.
KEY_TTL_SECONDS = 30 * 24 * 3600


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
        self.pending, self.failures, self.claim = (
            f"{base}:pending",
            f"{base}:failures",
            f"{base}:drain",
        )

    def post(self, *, topic: str, envelope: dict[str, Any]) -> bool:
        """Adds the event; True if no drain holds the mailbox and the caller must start one."""
        return bool(post_events(self.redis, [(self, topic, envelope)]))

    def next_events(self, limit: int) -> list[Posted]:
        rows = self.redis.zrange(self.pending, 0, limit - 1, withscores=True)
        return [
            Posted(int(score), (item := json.loads(member))["topic"], item["envelope"])
            for member, score in rows
        ]

    def failed(self, sequence: int) -> int:
        """Counts a failed attempt at the event; returns the attempts so far."""
        attempts = int(self.redis.hincrby(self.failures, str(sequence), 1))
        self.redis.expire(self.failures, KEY_TTL_SECONDS)
        return attempts

    def done(self, sequence: int) -> None:
        """Takes the event (and a duplicate of it posted meanwhile) out of the mailbox."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.zremrangebyscore(self.pending, sequence, sequence)
        pipe.hdel(self.failures, str(sequence))
        pipe.execute()

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
