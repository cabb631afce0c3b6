"""Schedules and seats in the database: cancelling a show, and writing seats in bulk (the
admin's seat generator and the demo seeder)."""

from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from django.db import connection, transaction

from adapters.transactions import require_unit_of_work
from apps.concert.models import ScheduleRecord
from domain.concert.model import ScheduleNotFound, ScheduleStatus, SeatSpec, SeatStatus

INSERT_SEATS = (
    "INSERT INTO seat (schedule_id, section, `row`, number, grade, price, status) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)


def _batches(items: Iterable[SeatSpec], size: int) -> Iterator[list[SeatSpec]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def insert_seats(
    *,
    schedule_id: int,
    seats: Iterable[SeatSpec],
    status: SeatStatus = SeatStatus.AVAILABLE,
    batch_size: int = 5000,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Inserts the seats in multi-row INSERTs (executemany), one transaction per batch.

    Django's bulk_create costs several times more per row; seeding a million seats is
    dominated by this loop.
    """
    total = 0
    for batch in _batches(seats, batch_size):
        rows = [
            (schedule_id, s.section, s.row, s.number, s.grade, s.price, status.value) for s in batch
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(INSERT_SEATS, rows)
        total += len(rows)
        if on_batch:
            on_batch(len(rows))
    return total


class OrmSchedules:
    """domain.concert.ports.Schedules."""

    def cancel(self, *, schedule_id: int) -> int | None:
        require_unit_of_work()
        schedule = ScheduleRecord.objects.select_for_update().filter(id=schedule_id).first()
        if schedule is None:
            raise ScheduleNotFound(f"there is no schedule {schedule_id}")
        if schedule.status == ScheduleStatus.CANCELLED.value:
            return None
        schedule.status = ScheduleStatus.CANCELLED.value
        schedule.save(update_fields=["status"])  # the waiting room closes too (signal)
        return int(schedule.concert_id)
