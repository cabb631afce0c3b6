"""The concert ranking in Redis: tickets sold per concert (a sorted set), and how long each
sold-out show took to sell out. Counting is idempotent per event id."""

from pathlib import Path
from typing import Any

from adapters.lua_script import LuaScript

# One hash tag for all ranking keys: the count and its per-event marker are written by one
# script, which a Redis Cluster allows only within one slot.
TICKETS_KEY = "ranking:{r}:tickets"
SOLD_OUT_KEY = "ranking:{r}:sold_out_seconds"  # hash: concert id -> fastest sell-out, seconds
MARKER_TTL_SECONDS = 7 * 24 * 3600
COUNT_SALE = LuaScript((Path(__file__).parent / "lua" / "count_sale.lua").read_text())


class RedisRanking:
    def __init__(self, client: Any) -> None:
        self.client = client

    def count_sale(self, *, event_id: str, concert_id: int, tickets: int) -> bool:
        """Adds the tickets once, however often the same event arrives."""
        keys = [f"ranking:{{r}}:seen:{event_id}", TICKETS_KEY]
        return bool(COUNT_SALE(self.client, keys, [concert_id, tickets, MARKER_TTL_SECONDS]))

    def record_sold_out(self, *, concert_id: int, seconds: float) -> None:
        """Keeps the fastest sell-out of the concert's shows."""
        current = self.client.hget(SOLD_OUT_KEY, concert_id)
        if current is None or float(current) > seconds:
            self.client.hset(SOLD_OUT_KEY, concert_id, f"{seconds:.3f}")

    def top(self, limit: int) -> list[tuple[int, int, float | None]]:
        """(concert id, tickets sold, seconds to sell out or None), best first."""
        rows = self.client.zrevrange(TICKETS_KEY, 0, limit - 1, withscores=True)
        ids = [int(member) for member, _ in rows]
        sold_out = self.client.hmget(SOLD_OUT_KEY, ids) if ids else []
        return [
            (concert, int(score), float(seconds) if seconds is not None else None)
            for (concert, (_, score), seconds) in zip(ids, rows, sold_out, strict=True)
        ]
