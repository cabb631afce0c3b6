"""The concert module tells the waiting room how many seats each schedule has left, so that
admission lets in no more fans than there are seats for (docs/WAITING_ROOM.md)."""

from django.db import DatabaseError, connection

from domain.errors import DependencyUnavailable
from domain.queue.model import SeatsLeft


class SeatCountUnavailable(DependencyUnavailable):
    code = "database_unavailable"
    title = "The seats left could not be counted"


class OrmSeatInventory:
    """domain.queue.ports.SeatInventory: one grouped count a tick for every schedule, read
    from the (schedule, status) index alone.

    `free` is what the seat map shows as available: a hold that lapsed counts as held until
    the expiry sweep frees it, because a fan let in for it would not see it on the map yet.
    """

    def seats_left(self, *, schedule_ids: list[int]) -> dict[int, SeatsLeft]:
        if not schedule_ids:
            return {}
        marks = ", ".join(["%s"] * len(schedule_ids))
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT schedule_id, SUM(status = 'available'), SUM(status = 'held') "
                    f"FROM seat WHERE schedule_id IN ({marks}) GROUP BY schedule_id",
                    schedule_ids,
                )
                counted = {
                    int(schedule): SeatsLeft(free=int(free), held=int(held))
                    for schedule, free, held in cursor.fetchall()
                }
        except DatabaseError as exc:
            raise SeatCountUnavailable(f"seat count: {exc}") from exc
        nothing = SeatsLeft(free=0, held=0)
        return {schedule: counted.get(schedule, nothing) for schedule in schedule_ids}
