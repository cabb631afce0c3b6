"""Operators' command, the beat tick and the metrics, on the real Redis and database."""

from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from apps.concert.models import ScheduleRecord
from apps.queue.tasks import admit_waiting_fans
from tests.conftest import Fan

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
