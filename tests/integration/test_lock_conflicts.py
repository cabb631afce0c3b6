"""A hold that waits on a row lock too long is retried, then refused with 409 + Retry-After."""

import threading
from collections.abc import Callable

import pytest
from django.db import OperationalError, connection, transaction

from adapters.transactions import retry_lock_conflicts
from apps.concert.models import ScheduleRecord, SeatRecord
from apps.http.problems import dependency_problem
from apps.reservation.wiring import hold_seats
from tests.conftest import Fan

pytestmark = pytest.mark.django_db(transaction=True)


def test_lock_conflicts_are_retried_a_bounded_number_of_times() -> None:
    calls = []

    @retry_lock_conflicts(attempts=3)
    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError(1213, "Deadlock found when trying to get lock")
        return "done"

    assert flaky() == "done" and len(calls) == 3

    @retry_lock_conflicts(attempts=3)
    def other_error() -> None:
        calls.append(1)
        raise OperationalError(2006, "MySQL server has gone away")

    calls.clear()
    with pytest.raises(OperationalError):
        other_error()
    assert len(calls) == 1  # only lock conflicts are retried


def test_a_hold_stuck_behind_a_row_lock_becomes_409_with_retry_after(
    make_schedule: Callable[..., ScheduleRecord], fan: Fan
) -> None:
    schedule = make_schedule(seats=2)
    seat = SeatRecord.objects.filter(schedule=schedule).first()
    assert seat is not None
    locked, release = threading.Event(), threading.Event()

    def hold_the_row() -> None:
        with transaction.atomic():
            SeatRecord.objects.select_for_update().get(id=seat.id)
            locked.set()
            release.wait(30)
        connection.close()

    blocker = threading.Thread(target=hold_the_row)
    blocker.start()
    locked.wait(10)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION innodb_lock_wait_timeout = 1")
        with pytest.raises(OperationalError) as raised:
            hold_seats()(user_id=fan.id, schedule_id=schedule.id, seat_ids=[seat.id])
    finally:
        release.set()
        blocker.join()
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION innodb_lock_wait_timeout = DEFAULT")
    assert raised.value.args[0] == 1205
    response = dependency_problem(raised.value)
    assert response is not None
    assert (response.status_code, response.data["code"]) == (409, "lock_timeout")
    assert int(response["Retry-After"]) >= 1
    # Nothing was left behind by the failed attempts.
    assert SeatRecord.objects.get(id=seat.id).status == "available"
