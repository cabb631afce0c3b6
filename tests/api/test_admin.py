"""Operators' pages render, and the seat generator makes a schedule's seats."""

import json
from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from adapters.queue.connection import queue_redis
from apps.concert import catalog
from apps.concert.models import ScheduleRecord, SeatRecord
from apps.concert.wiring import seat_map
from apps.reservation.models import ReservationRecord
from apps.reservation.wiring import hold_seats
from apps.user.models import LedgerEntryRecord
from tests.conftest import Fan

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> Client:
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "boss-pass-123")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "page",
    [
        "auth/user",
        "user/walletrecord",
        "user/ledgerentryrecord",
        "concert/concertrecord",
        "concert/schedulerecord",
        "concert/seatrecord",
    ],
)
def test_every_changelist_renders(
    staff: Client, page: str, fan: Fan, make_schedule: Callable[..., ScheduleRecord]
) -> None:
    make_schedule(seats=3)
    assert staff.get(f"/admin/{page}/").status_code == 200


def test_wallet_page_shows_the_ledger_read_only(staff: Client, fan: Fan) -> None:
    fan.client().post("/api/v1/me/wallet/charges", {"amount": 4321}, format="json")
    page = staff.get(f"/admin/user/walletrecord/{fan.id}/change/")
    assert page.status_code == 200
    assert b"4321" in page.content
    ledger = staff.get(f"/admin/user/ledgerentryrecord/?user__id__exact={fan.id}")
    assert ledger.status_code == 200
    entry = LedgerEntryRecord.objects.get(user_id=fan.id)
    assert staff.post(f"/admin/user/ledgerentryrecord/{entry.id}/delete/").status_code == 403


def test_generate_seats_action_lays_out_sections(
    staff: Client, make_schedule: Callable[..., ScheduleRecord]
) -> None:
    schedule = make_schedule(seats=0)
    url = "/admin/concert/schedulerecord/"
    form = staff.post(url, {"action": "generate_seats", "_selected_action": [schedule.id]})
    assert form.status_code == 200 and b"Generate seats" in form.content

    staff.post(
        url,
        {
            "action": "generate_seats",
            "_selected_action": [schedule.id],
            "apply": "1",
            "sections": "VIP, VIP, 100, 2, 5\nFloor, R, 50, 3, 10",
        },
    )
    seats = SeatRecord.objects.filter(schedule=schedule)
    assert seats.count() == 2 * 5 + 3 * 10
    assert set(seats.values_list("grade", flat=True)) == {"VIP", "R"}

    # A second run would duplicate seats: refused.
    staff.post(
        url,
        {
            "action": "generate_seats",
            "_selected_action": [schedule.id],
            "apply": "1",
            "sections": "X, A, 1, 1, 1",
        },
    )
    assert seats.count() == 40


@pytest.mark.django_db(transaction=True)
def test_generated_seats_show_on_a_seat_map_that_was_read_before(
    staff: Client, make_schedule: Callable[..., ScheduleRecord]
) -> None:
    """A bulk insert sends no signals: add_seats drops the stored map once they commit."""
    queue_redis.cache_clear()
    seat_map.cache_clear()
    schedule = make_schedule(seats=0)
    assert json.loads(catalog.seat_map_json(schedule.id))["seats"] == []  # stored empty
    staff.post(
        "/admin/concert/schedulerecord/",
        {
            "action": "generate_seats",
            "_selected_action": [schedule.id],
            "apply": "1",
            "sections": "Floor, R, 50, 2, 3",
        },
    )
    assert len(json.loads(catalog.seat_map_json(schedule.id))["seats"]) == 6


def test_a_bad_layout_is_shown_back_to_the_operator(
    staff: Client, make_schedule: Callable[..., ScheduleRecord]
) -> None:
    schedule = make_schedule(seats=0)
    page = staff.post(
        "/admin/concert/schedulerecord/",
        {
            "action": "generate_seats",
            "_selected_action": [schedule.id],
            "apply": "1",
            "sections": "VIP, VIP, lots, 2, 5",
        },
    )
    assert page.status_code == 200 and b"line 1" in page.content
    assert not SeatRecord.objects.filter(schedule=schedule).exists()


@pytest.mark.django_db(transaction=True)
def test_operators_see_the_live_queue_and_can_pause_it(
    staff: Client, fan: Fan, make_schedule: Callable[..., ScheduleRecord]
) -> None:
    schedule = make_schedule(max_active=1)
    fan.client().post(f"/api/v1/schedules/{schedule.id}/queue")
    page = staff.get(f"/admin/concert/schedulerecord/{schedule.id}/change/")
    assert b"active 1" in page.content
    staff.post(
        "/admin/concert/schedulerecord/",
        {"action": "pause_admission", "_selected_action": [schedule.id]},
    )
    page = staff.get(f"/admin/concert/schedulerecord/{schedule.id}/change/")
    assert b"PAUSED" in page.content


@pytest.mark.parametrize(
    "page",
    [
        "reservation/reservationrecord",
        "payment/paymentrecord",
        "payment/idempotencykeyrecord",
        "events/outboxeventrecord",
    ],
)
def test_booking_pages_render(staff: Client, page: str) -> None:
    assert staff.get(f"/admin/{page}/").status_code == 200


def test_operators_can_release_a_stuck_hold(
    staff: Client, fan: Fan, make_schedule: Callable[..., ScheduleRecord]
) -> None:
    schedule = make_schedule(seats=2)
    seat = schedule.seats.order_by("id").first()
    assert seat is not None
    held = hold_seats()(user_id=fan.id, schedule_id=schedule.id, seat_ids=[seat.id])
    staff.post(
        "/admin/reservation/reservationrecord/",
        {"action": "release_hold", "_selected_action": [held.id]},
    )
    assert ReservationRecord.objects.get(id=held.id).status == "cancelled"
    assert SeatRecord.objects.get(id=seat.id).status == "available"
    assert staff.get(f"/admin/reservation/reservationrecord/{held.id}/change/").status_code == 200


def test_the_admin_cannot_change_what_only_use_cases_may(
    staff: Client, fan: Fan, make_schedule: Callable[..., ScheduleRecord]
) -> None:
    """A schedule's status changes only by cancelling (which refunds); a seat's status,
    reservation, price and hold only by holds and sales."""
    schedule = make_schedule(seats=2)
    page = staff.get(f"/admin/concert/schedulerecord/{schedule.id}/change/")
    assert b'name="status"' not in page.content  # shown, not editable
    seat = schedule.seats.order_by("id").first()
    assert seat is not None
    page = staff.get(f"/admin/concert/seatrecord/{seat.id}/change/")
    for field in (b"status", b"reservation_id", b"price", b"held_until"):
        assert b'name="' + field + b'"' not in page.content
    staff.post(
        f"/admin/concert/seatrecord/{seat.id}/change/",
        {
            "schedule": schedule.id,
            "section": "A",
            "row": 1,
            "number": 1,
            "grade": "R",
            "status": "available",
            "price": 1,
            "reservation_id": "",
        },
    )
    seat.refresh_from_db()
    assert (seat.status, seat.price) == ("available", 1000)
    assert staff.get("/admin/concert/seatrecord/add/").status_code == 403


def test_a_schedule_with_reservations_cannot_be_deleted(
    staff: Client, fan: Fan, make_schedule: Callable[..., ScheduleRecord]
) -> None:
    from django.db import transaction
    from django.db.models import ProtectedError

    booked, empty = make_schedule(seats=2), make_schedule(seats=2)
    seat = booked.seats.order_by("id").first()
    assert seat is not None
    hold_seats()(user_id=fan.id, schedule_id=booked.id, seat_ids=[seat.id])

    confirm = staff.get(f"/admin/concert/schedulerecord/{booked.id}/delete/")
    assert b"Cannot delete schedule" in confirm.content
    staff.post(f"/admin/concert/schedulerecord/{booked.id}/delete/", {"post": "yes"})
    staff.post(f"/admin/concert/concertrecord/{booked.concert_id}/delete/", {"post": "yes"})
    assert ScheduleRecord.objects.filter(id=booked.id).exists()
    with pytest.raises(ProtectedError), transaction.atomic():
        booked.concert.delete()  # the cascade stops too, outside the admin
    assert SeatRecord.objects.filter(schedule=booked).count() == 2

    staff.post(f"/admin/concert/schedulerecord/{empty.id}/delete/", {"post": "yes"})
    assert not ScheduleRecord.objects.filter(id=empty.id).exists()


def test_wallets_need_the_view_permission_not_just_staff(fan: Fan) -> None:
    from django.contrib.auth.models import Permission

    clerk = get_user_model().objects.create_user("clerk", password="clerk-pass-123", is_staff=True)
    browser = Client()
    browser.force_login(clerk)
    page = f"/admin/user/walletrecord/{fan.id}/change/"
    assert browser.get(page).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_walletrecord"))
    assert browser.get(page).status_code == 200
