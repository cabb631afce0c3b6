"""Handling the events of one schedule in the order they were committed, per consumer group,
however many Celery workers run them.

Every event carries its outbox row id as `sequence`. An event may run once the group has
handled the previous event of the same schedule that the group reacts to. "Handled up to"
is one number per (schedule, group) in Redis, raised after each event. This works because an
event only runs after all earlier ones, so handling N means everything before N is done.
The previous event is found in the outbox by an index on (partition_key, id), without
scanning the schedule's history.
"""

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.db import connection

from adapters.lua_script import LuaScript

MARK_HANDLED = LuaScript((Path(__file__).parent / "lua" / "mark_handled.lua").read_text())
# A schedule's marks outlive any sale; they go a month after the last event.
MARK_TTL_SECONDS = 30 * 24 * 3600

PREVIOUS = (
    "SELECT id FROM outbox_event WHERE partition_key = %s AND id < %s AND event_type IN ({types})"
    " ORDER BY id DESC LIMIT 1"
)


def _key(schedule_id: int) -> str:
    return f"events:handled:{{s:{schedule_id}}}"


class ScheduleOrder:
    def __init__(self, redis: Any) -> None:
        self.redis = redis

    def previous(self, *, schedule_id: int, sequence: int, event_types: Iterable[str]) -> int:
        """The sequence of the schedule's previous event of these types, or 0."""
        types = list(event_types)
        with connection.cursor() as cursor:
            cursor.execute(
                PREVIOUS.format(types=", ".join(["%s"] * len(types))),
                [str(schedule_id), sequence, *types],
            )
            row = cursor.fetchone()
        return int(row[0]) if row else 0

    def handled_up_to(self, *, schedule_id: int, group: str) -> int:
        return int(self.redis.hget(_key(schedule_id), group) or 0)

    def its_turn(
        self, *, schedule_id: int, group: str, sequence: int, event_types: Iterable[str]
    ) -> bool:
        previous = self.previous(
            schedule_id=schedule_id, sequence=sequence, event_types=event_types
        )
        return previous == 0 or self.handled_up_to(schedule_id=schedule_id, group=group) >= previous

    def mark_handled(self, *, schedule_id: int, group: str, sequence: int) -> None:
        MARK_HANDLED(self.redis, [_key(schedule_id)], [group, sequence, MARK_TTL_SECONDS])
