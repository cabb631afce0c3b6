from collections.abc import Sequence
from typing import Protocol


class Schedules(Protocol):
    def cancel(self, *, schedule_id: int) -> int | None:
        """Inside the unit of work: locks the schedule and marks it cancelled; returns its
        concert's id, or None when it was cancelled already. Raises ScheduleNotFound."""
        ...


class SeatMap(Protocol):
    """The seat map fans read, told what the database has just committed, so that the next
    read shows it. An accelerator only: a change it misses (Redis down) shows when the map
    is next built from the database."""

    def seats_held(self, *, schedule_id: int, seat_ids: Sequence[int]) -> None: ...

    def seats_freed(self, *, schedule_id: int, seat_ids: Sequence[int]) -> None: ...

    def seats_sold(self, *, schedule_id: int, seat_ids: Sequence[int]) -> None: ...
