from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.concert.models import ScheduleRecord, SeatRecord
from tests.api.test_auth_api import assert_problem

pytestmark = pytest.mark.django_db

MakeSchedule = Callable[..., ScheduleRecord]


def test_concerts_are_listed_page_by_page(
    anonymous: APIClient, make_schedule: MakeSchedule
) -> None:
    ids = [make_schedule(seats=0).concert_id for _ in range(3)]
    first = anonymous.get("/api/v1/concerts?limit=2").json()
    assert [c["id"] for c in first["results"]] == ids[:2]
    assert {"id", "title", "artist", "venue", "first_show_at"} == set(first["results"][0])
    second = anonymous.get(first["next"]).json()
    assert [c["id"] for c in second["results"]] == ids[2:]
    assert second["next"] is None


def test_concert_detail_counts_seats_per_schedule(
    anonymous: APIClient, make_schedule: MakeSchedule
) -> None:
    schedule = make_schedule(seats=5)
    SeatRecord.objects.filter(id__in=list(schedule.seats.values_list("id", flat=True)[:2])).update(
        status="sold"
    )
    body = anonymous.get(f"/api/v1/concerts/{schedule.concert_id}").json()
    assert body["schedules"] == [
        {
            "id": schedule.id,
            "starts_at": body["schedules"][0]["starts_at"],
            "sale_opens_at": body["schedules"][0]["sale_opens_at"],
            "sale_closes_at": body["schedules"][0]["sale_closes_at"],
            "sale_status": "on_sale",
            "seats_total": 5,
            "seats_available": 3,
        }
    ]


def test_only_bookable_schedules_are_offered(
    anonymous: APIClient, make_schedule: MakeSchedule
) -> None:
    on_sale = make_schedule()
    concert = on_sale.concert
    upcoming = make_schedule(concert=concert, opens_in=timedelta(hours=1))
    make_schedule(concert=concert, opens_in=timedelta(days=-9), closes_in=timedelta(days=-1))
    make_schedule(concert=concert, status="cancelled")
    body = anonymous.get(f"/api/v1/concerts/{concert.id}/schedules").json()
    assert sorted(s["id"] for s in body["results"]) == sorted([on_sale.id, upcoming.id])
    assert {s["sale_status"] for s in body["results"]} == {"on_sale", "upcoming"}


def test_seat_map_shows_expired_holds_as_available(
    anonymous: APIClient, make_schedule: MakeSchedule
) -> None:
    schedule = make_schedule(seats=3)
    a, b, c = schedule.seats.order_by("id")
    now = timezone.now()
    SeatRecord.objects.filter(id=a.id).update(status="held", held_until=now + timedelta(minutes=5))
    SeatRecord.objects.filter(id=b.id).update(status="held", held_until=now - timedelta(seconds=1))
    SeatRecord.objects.filter(id=c.id).update(status="sold")
    body = anonymous.get(f"/api/v1/schedules/{schedule.id}/seats").json()
    assert body["schedule_id"] == schedule.id
    assert [s["status"] for s in body["seats"]] == ["held", "available", "sold"]
    assert body["statuses"] == "has"
    statuses = anonymous.get(f"/api/v1/schedules/{schedule.id}/seats/statuses").json()
    assert statuses == {"schedule_id": schedule.id, "statuses": "has"}
    assert body["seats"][0] == {
        "id": a.id,
        "section": "A",
        "row": "A",
        "number": 1,
        "grade": "R",
        "price": 1000,
        "status": "held",
    }


@pytest.mark.parametrize("part", ["seats", "seats/statuses"])
def test_a_current_seat_map_etag_gets_a_304(
    anonymous: APIClient, make_schedule: MakeSchedule, part: str
) -> None:
    url = f"/api/v1/schedules/{make_schedule(seats=3).id}/{part}"
    first = anonymous.get(url)
    assert first.status_code == 200
    assert (
        first["Cache-Control"]
        == {
            "seats": "public, max-age=1, stale-if-error=5",
            "seats/statuses": "no-cache",
        }[part]
    )
    again = anonymous.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"] and not again.content
    assert anonymous.get(url, HTTP_IF_NONE_MATCH='"0.0"').status_code == 200


def test_a_seat_map_max_age_of_zero_makes_every_read_ask(
    anonymous: APIClient, make_schedule: MakeSchedule, settings: Any
) -> None:
    settings.SEAT_MAP_MAX_AGE_SECONDS = 0
    answer = anonymous.get(f"/api/v1/schedules/{make_schedule(seats=2).id}/seats")
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/concerts/999999",
        "/api/v1/concerts/999999/schedules",
        "/api/v1/schedules/999999/seats",
        "/api/v1/schedules/999999/seats/statuses",
        "/api/v1/no-such-thing",
    ],
)
def test_unknown_things_are_404_problems(anonymous: APIClient, path: str) -> None:
    assert_problem(anonymous.get(path), 404, "not_found")


def test_catalog_is_read_only(anonymous: APIClient, make_schedule: MakeSchedule) -> None:
    schedule = make_schedule(seats=1)
    response = anonymous.post(f"/api/v1/concerts/{schedule.concert_id}", {}, format="json")
    assert_problem(response, 405, "method_not_allowed")


def test_a_schedule_on_its_own_names_its_concert_seat_limit_and_refund_window(
    anonymous: APIClient, make_schedule: MakeSchedule
) -> None:
    refund_until = timezone.now() + timedelta(days=3)
    schedule = make_schedule(seats=4, max_seats_per_fan=2, refund_until=refund_until)
    body = anonymous.get(f"/api/v1/schedules/{schedule.id}").json()
    assert body["concert"] == {
        "id": schedule.concert_id,
        "title": "Test Tour",
        "artist": "Test Artist",
        "venue": "Test Hall",
    }
    assert (body["id"], body["sale_status"], body["seats_available"]) == (schedule.id, "on_sale", 4)
    assert body["max_seats_per_fan"] == 2
    assert body["refundable_until"].startswith(refund_until.strftime("%Y-%m-%dT%H:%M"))

    # The site-wide limit caps the show's; no refund deadline means until the show starts.
    generous = make_schedule(seats=0, max_seats_per_fan=9)
    body = anonymous.get(f"/api/v1/schedules/{generous.id}").json()
    assert body["max_seats_per_fan"] == 4
    assert body["refundable_until"] == body["starts_at"]


def test_an_unknown_schedule_is_a_404(anonymous: APIClient) -> None:
    assert_problem(anonymous.get("/api/v1/schedules/987654321"), 404, "not_found")
