from typing import Protocol


class Schedules(Protocol):
    def cancel(self, *, schedule_id: int) -> int | None:
        """Inside the unit of work: locks the schedule and marks it cancelled; returns its
        concert's id, or None when it was cancelled already. Raises ScheduleNotFound."""
        ...
