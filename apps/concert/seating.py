"""Operators' bulk seat changes (the admin's seat generator, seed_demo). The seats go in as
multi-row INSERTs, which send no model signals, so the cached catalog and the schedule's
seat map are dropped here, once the seats have committed; a seat saved one at a time is
covered by apps/concert/signals.py, and holds, releases and sales patch the map through
their events (domain/concert/seat_map.py)."""

from collections.abc import Callable, Iterable

from django.db import transaction

from adapters.concert.orm import insert_seats
from apps.concert.catalog import forget_catalog, forget_seat_map
from domain.concert.model import SeatSpec


def add_seats(
    *,
    schedule_id: int,
    seats: Iterable[SeatSpec],
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Adds the seats to the schedule; returns how many."""
    created = insert_seats(schedule_id=schedule_id, seats=seats, on_batch=on_batch)
    transaction.on_commit(lambda: forget_seat_map(schedule_id))
    transaction.on_commit(forget_catalog)
    return created
