"""Operators' command, the beat tick and the metrics, on the real Redis and database."""

from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from apps.concert.models import ScheduleRecord, SeatRecord
from apps.concert.seat_inventory import OrmSeatInventory
from apps.queue.tasks import admit_waiting_fans
from domain.queue.model import SeatsLeft
from tests.conftest import Fan, fund
from tests.purchases import pay_held

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args: object) -> str:
    out = StringIO()
    call_command("queue", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def test_pause_export_resume_tick_and_purge(
    make_fan: Callable[..., Fan], make_schedule: Callable[..., ScheduleRecord]
) -> None:
    schedule = make_schedule(max_active=2)
    run("pause", schedule.id)
    fans = [make_fan() for _ in range(4)]
    for fan in fans:
        assert fan.client().post(f"/api/v1/schedules/{schedule.id}/queue").json()["status"] == (
            "waiting"
        )
    exported = run("export", schedule.id).splitlines()
    assert exported[0] == "position,user_id,entry_number"
    assert [line.split(",")[1] for line in exported[1:]] == [str(f.id) for f in fans]
    assert "waiting              4" in run("stats", schedule.id)

    run("resume", schedule.id)
    assert admit_waiting_fans() == 2  # capacity 2: the first two, in order
    statuses = [f.client().get(f"/api/v1/schedules/{schedule.id}/queue").json() for f in fans]
    assert [s["status"] for s in statuses] == ["admitted", "admitted", "waiting", "waiting"]
    assert [s["position"] for s in statuses[2:]] == [1, 2]

    metrics = APIClient().get("/metrics").content.decode()
    assert f'queue_waiting{{schedule="{schedule.id}"}} 2.0' in metrics
    assert f'queue_active{{schedule="{schedule.id}"}} 2.0' in metrics

    with pytest.raises(CommandError):
        run("purge", schedule.id)
    call_command("queue", "purge", str(schedule.id), "--yes", stdout=StringIO())
    assert "waiting              0" in run("stats", schedule.id)


def test_capacity_changed_in_the_database_applies_live(
    make_fan: Callable[..., Fan], make_schedule: Callable[..., ScheduleRecord]
) -> None:
    schedule = make_schedule(max_active=1)
    fans = [make_fan() for _ in range(3)]
    for fan in fans:
        fan.client().post(f"/api/v1/schedules/{schedule.id}/queue")
    schedule.max_active = 3
    schedule.save()  # as an operator in the admin
    admit_waiting_fans()
    assert all(
        f.client().get(f"/api/v1/schedules/{schedule.id}/queue").json()["status"] == "admitted"
        for f in fans
    )


def test_the_tick_admits_fans_for_the_seats_left_until_the_state_says_sold_out(
    make_schedule: Callable[..., ScheduleRecord],
    make_fan: Callable[..., Fan],
    settings: Any,
) -> None:
    settings.QUEUE_STATE_MAX_AGE_SECONDS = 0  # each read of the state asks Redis
    schedule = make_schedule(seats=2, max_active=10, admit_per_second=10)
    seat_a, seat_b = SeatRecord.objects.filter(schedule=schedule).values_list("id", flat=True)
    admit_waiting_fans()  # the seats are counted before the sale's first fans come
    fans = [make_fan() for _ in range(4)]
    for fan in fans:
        fund(fan.id, 100_000)
    answers = [f.client().post(f"/api/v1/schedules/{schedule.id}/queue").json() for f in fans]
    assert [a["status"] for a in answers] == ["admitted", "admitted", "waiting", "waiting"]
    assert admit_waiting_fans() == 0  # two seats, two admitted fans who have not held yet

    def state() -> dict[str, Any]:
        return APIClient().get(f"/api/v1/schedules/{schedule.id}/queue/state").json()

    assert (state()["seats_available"], state()["sold_out"]) == (2, False)
    first = fans[0].client()
    first.credentials(
        HTTP_AUTHORIZATION=f"Bearer {fans[0].access}",
        HTTP_X_ACCESS_TOKEN=answers[0]["access_token"],
    )
    held = first.post(
        "/api/v1/reservations", {"schedule_id": schedule.id, "seat_ids": [seat_a]}, format="json"
    )
    assert held.status_code == 201
    assert (state()["seats_available"], state()["sold_out"]) == (1, False)
    assert admit_waiting_fans() == 0  # one seat free, one admitted fan may still take it

    fans[1].client().delete(f"/api/v1/schedules/{schedule.id}/queue")  # gives up
    assert admit_waiting_fans() == 1
    third = fans[2].client().get(f"/api/v1/schedules/{schedule.id}/queue").json()
    assert third["status"] == "admitted"
    assert fans[3].client().get(f"/api/v1/schedules/{schedule.id}/queue").json()["position"] == 1

    pay_held(user_id=fans[0].id, reservation_id=held.json()["id"], schedule_id=schedule.id)
    buyer = fans[2].client()
    buyer.credentials(
        HTTP_AUTHORIZATION=f"Bearer {fans[2].access}", HTTP_X_ACCESS_TOKEN=third["access_token"]
    )
    last = buyer.post(
        "/api/v1/reservations", {"schedule_id": schedule.id, "seat_ids": [seat_b]}, format="json"
    )
    pay_held(user_id=fans[2].id, reservation_id=last.json()["id"], schedule_id=schedule.id)
    assert admit_waiting_fans() == 0
    assert (state()["seats_available"], state()["sold_out"]) == (0, True)
    assert fans[3].client().get(f"/api/v1/schedules/{schedule.id}/queue").json()["status"] == (
        "waiting"
    )


def test_the_seat_count_covers_the_sales_not_closed(
    make_schedule: Callable[..., ScheduleRecord],
) -> None:
    on_sale = make_schedule(seats=3)
    SeatRecord.objects.filter(id=SeatRecord.objects.filter(schedule=on_sale).first().id).update(  # type: ignore[union-attr]
        status="held"
    )
    closed = make_schedule(seats=2, opens_in=timedelta(days=-3), closes_in=timedelta(days=-1))
    without_seats = make_schedule(seats=0)
    counted = OrmSeatInventory().seats_left(
        schedule_ids=[on_sale.id, closed.id, without_seats.id, 2_000_000_000]
    )
    assert counted == {
        on_sale.id: SeatsLeft(free=2, held=1),
        without_seats.id: SeatsLeft(free=0, held=0),  # nothing to sell
    }
