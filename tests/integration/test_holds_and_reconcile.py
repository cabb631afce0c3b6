"""Hold expiry, the sold-out demo, and reconcile finding planted violations."""

from collections.abc import Callable
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from apps.concert.models import ScheduleRecord, SeatRecord
from apps.events.models import OutboxEventRecord
from apps.reservation.models import ReservationRecord
from apps.reservation.tasks import expire_holds
from apps.reservation.wiring import hold_seats
from tests.conftest import Fan

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_expiry_job_releases_holds_past_their_time(
    make_schedule: Callable[..., ScheduleRecord], fan: Fan, make_fan: Callable[..., Fan]
) -> None:
    schedule = make_schedule(seats=4)
    seats = list(schedule.seats.order_by("id").values_list("id", flat=True))
    old = hold_seats()(user_id=fan.id, schedule_id=schedule.id, seat_ids=seats[:2])
    fresh = hold_seats()(user_id=make_fan().id, schedule_id=schedule.id, seat_ids=seats[2:3])
    past = timezone.now() - timedelta(seconds=1)
    ReservationRecord.objects.filter(id=old.id).update(expires_at=past)
    SeatRecord.objects.filter(id__in=seats[:2]).update(held_until=past)

    assert expire_holds.apply().get() == 1
    assert expire_holds.apply().get() == 0  # idempotent
    assert ReservationRecord.objects.get(id=old.id).status == "expired"
    assert ReservationRecord.objects.get(id=fresh.id).status == "held"
    assert set(SeatRecord.objects.filter(id__in=seats[:2]).values_list("status", flat=True)) == {
        "available"
    }
    assert (
        OutboxEventRecord.objects.filter(
            event_type="reservation.expired", aggregate_id=str(old.id)
        ).count()
        == 1
    )
    # Its Redis locks are gone too: another fan gets the seats.
    assert hold_seats()(user_id=make_fan().id, schedule_id=schedule.id, seat_ids=seats[:2])


def reconcile() -> str:
    out, err = StringIO(), StringIO()
    try:
        call_command("reconcile", stdout=out, stderr=err)
    except CommandError:
        return err.getvalue()
    return ""


def test_reconcile_is_clean_after_the_demo_and_finds_planted_violations() -> None:
    call_command(
        "seed_demo",
        "--concerts",
        "1",
        "--schedules",
        "3",
        "--seats",
        "40",
        "--users",
        "15",
        stdout=StringIO(),
    )
    assert ReservationRecord.objects.filter(status="confirmed").exists()  # the sold-out show
    assert reconcile() == ""

    seat = SeatRecord.objects.filter(status="available").first()
    assert seat is not None
    SeatRecord.objects.filter(id=seat.id).update(status="sold")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE wallet SET balance = balance + 1 ORDER BY user_id LIMIT 1")
    report = reconcile()
    assert f"seat {seat.id} is sold" in report
    assert "balance" in report and "money: charges" in report
