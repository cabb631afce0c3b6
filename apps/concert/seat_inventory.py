"""The concert module tells the waiting room how many seats each schedule has left, so that
admission lets in no more fans than there are seats for (docs/WAITING_ROOM.md)."""

from datetime import UTC, datetime

from django.db import DatabaseError, connection

from adapters.db_time import to_db
from domain.errors import DependencyUnavailable
from domain.queue.model import SeatsLeft


class SeatCountUnavailable(DependencyUnavailable):
    code = "database_unavailable"
    title = "The seats left could not be counted"


class OrmSeatInventory:
    """domain.queue.ports.SeatInventory: one grouped count a tick for the schedules whose
    sale has not closed (past sales are not counted again and again), read from the
    (schedule, status) index.

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
                    "SELECT s.id, COALESCE(SUM(seat.status = 'available'), 0), "
                    "COALESCE(SUM(seat.status = 'held'), 0) "
                    "FROM schedule s LEFT JOIN seat ON seat.schedule_id = s.id "
                    f"WHERE s.id IN ({marks}) AND s.sale_closes_at > %s GROUP BY s.id",
                    [*schedule_ids, to_db(datetime.now(UTC))],
                )
                return {
                    int(schedule): SeatsLeft(free=int(free), held=int(held))
                    for schedule, free, held in cursor.fetchall()
                }
        except DatabaseError as exc:
            raise SeatCountUnavailable(f"seat count: {exc}") from exc
