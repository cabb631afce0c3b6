"""Cancelling a schedule: every hold released, every purchase refunded exactly once."""

import uuid
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from apps.concert.models import ScheduleRecord, SeatRecord
from apps.events.models import OutboxEventRecord
from apps.events.tasks import handle_event
from apps.payment.management.commands.reconcile import find_violations
from apps.reservation.models import ReservationRecord
from apps.reservation.wiring import hold_seats
from apps.user.models import LedgerEntryRecord, WalletRecord
from tests.conftest import Fan, fund
from tests.purchases import pay_held

pytestmark = pytest.mark.django_db(transaction=True)


def saga_step(schedule_id: int, event_id: str | None = None) -> None:
    """What the `reservation` consumer group does with the event (by default the one the
    outbox recorded for the schedule)."""
    if event_id is None:
        recorded = OutboxEventRecord.objects.get(
            event_type="schedule.cancelled", partition_key=str(schedule_id)
        )
        event_id = str(recorded.event_id)
    envelope = {
        "event_id": event_id,
        "type": "schedule.cancelled",
        "version": 1,
        "occurred_at": "2026-11-22T00:00:00+00:00",
        "aggregate_id": str(schedule_id),
        "correlation_id": "req-cancel",
        "payload": {"schedule_id": schedule_id},
    }
    assert handle_event.apply(args=["reservation", "schedule.cancelled", envelope]).successful()


def test_cancelling_a_schedule_refunds_every_purchase_once(
    make_schedule: Callable[..., ScheduleRecord], make_fan: Callable[..., Fan]
) -> None:
    schedule = make_schedule(seats=9)
    seats = list(schedule.seats.order_by("id").values_list("id", flat=True))
    buyers = []
    for i in range(3):  # three purchases of two seats
        fan = make_fan()
        fund(fan.id, 10_000)
        held = hold_seats()(
            user_id=fan.id, schedule_id=schedule.id, seat_ids=seats[2 * i : 2 * i + 2]
        )
        pay_held(user_id=fan.id, reservation_id=held.id, schedule_id=schedule.id)
        buyers.append(fan)
    holder = make_fan()
    hold_seats()(user_id=holder.id, schedule_id=schedule.id, seat_ids=seats[6:8])

    out = StringIO()
    call_command("cancel_schedule", str(schedule.id), stdout=out)
    assert "cancelled" in out.getvalue()
    assert OutboxEventRecord.objects.filter(event_type="schedule.cancelled").count() == 1
    saga_step(schedule.id)

    assert not ReservationRecord.objects.filter(
        schedule_id=schedule.id, status__in=["held", "confirmed"]
    ).exists()
    for fan in buyers:
        assert WalletRecord.objects.get(user_id=fan.id).balance == 10_000
        assert LedgerEntryRecord.objects.filter(user_id=fan.id, kind="refund").count() == 1
    assert set(SeatRecord.objects.filter(schedule=schedule).values_list("status", flat=True)) == {
        "available"
    }
    refunded = OutboxEventRecord.objects.filter(event_type="payment.refunded")
    assert refunded.count() == 3
    # The handlers' own events carry the request id of the event that caused them.
    assert set(refunded.values_list("correlation_id", flat=True)) == {"req-cancel"}
    assert find_violations() == []

    # Running it again changes nothing: no second refund, no second event.
    call_command("cancel_schedule", str(schedule.id), stdout=StringIO())
    saga_step(schedule.id)
    assert LedgerEntryRecord.objects.filter(kind="refund").count() == 3
    assert OutboxEventRecord.objects.filter(event_type="schedule.cancelled").count() == 1


def test_operators_cancel_from_the_admin_and_see_the_progress(
    make_schedule: Callable[..., ScheduleRecord], fan: Fan
) -> None:
    schedule = make_schedule(seats=2)
    hold_seats()(
        user_id=fan.id, schedule_id=schedule.id, seat_ids=[schedule.seats.order_by("id").first().id]
    )
    staff = Client()
    staff.force_login(
        get_user_model().objects.create_superuser("ops", "o@example.com", "x-pass-12")
    )
    staff.post(
        "/admin/concert/schedulerecord/",
        {"action": "cancel_and_refund", "_selected_action": [schedule.id]},
    )
    page = staff.get(f"/admin/concert/schedulerecord/{schedule.id}/change/")
    assert b"1 still to release or refund" in page.content
    saga_step(schedule.id)
    page = staff.get(f"/admin/concert/schedulerecord/{schedule.id}/change/")
    assert b"all released and refunded" in page.content


def one_purchase(schedule: ScheduleRecord, make_fan: Callable[..., Fan]) -> tuple[Fan, Any]:
    """A funded fan who bought the schedule's first seat; returns the fan and the hold."""
    fan = make_fan()
    fund(fan.id, 10_000)
    held = hold_seats()(
        user_id=fan.id, schedule_id=schedule.id, seat_ids=[schedule.seats.order_by("id")[0].id]
    )
    pay_held(user_id=fan.id, reservation_id=held.id, schedule_id=schedule.id)
    return fan, held


def test_the_saga_trusts_only_the_database(
    make_schedule: Callable[..., ScheduleRecord], make_fan: Callable[..., Fan]
) -> None:
    """A forged schedule.cancelled, or an old one replayed for a schedule that is not
    cancelled, refunds nobody and puts no seat back on sale."""
    schedule = make_schedule(seats=2)
    _, held = one_purchase(schedule, make_fan)

    saga_step(schedule.id, event_id=str(uuid.uuid4()))  # forged: not in our outbox
    call_command("cancel_schedule", str(schedule.id), stdout=StringIO())
    ScheduleRecord.objects.filter(id=schedule.id).update(status="active")  # not cancelled now
    saga_step(schedule.id)  # a real event, replayed

    assert ReservationRecord.objects.get(id=held.id).status == "confirmed"
    assert not LedgerEntryRecord.objects.filter(kind="refund").exists()
    assert SeatRecord.objects.filter(schedule=schedule, status="sold").count() == 1


def test_a_saga_that_stopped_is_reported_and_finished_by_the_sweep(
    make_schedule: Callable[..., ScheduleRecord], make_fan: Callable[..., Fan]
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from apps.reservation.tasks import finish_cancelled_schedules

    schedule = make_schedule(seats=2)
    fan, _ = one_purchase(schedule, make_fan)
    call_command("cancel_schedule", str(schedule.id), stdout=StringIO())
    # The event never reached the saga (dead-lettered, say), long enough ago.
    assert find_violations() == []  # within the grace period, the saga may be under way
    OutboxEventRecord.objects.filter(event_type="schedule.cancelled").update(
        occurred_at=timezone.now() - timedelta(minutes=30)
    )
    assert any("refund saga did not finish" in v for v in find_violations())

    assert finish_cancelled_schedules() == 1
    assert find_violations() == []
    assert WalletRecord.objects.get(user_id=fan.id).balance == 10_000
    assert finish_cancelled_schedules() == 0  # nothing left; refunds once
