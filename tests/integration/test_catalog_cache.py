"""The catalog cache in the real Redis: hits, invalidation on operator changes, Redis down."""

from collections.abc import Callable

import pytest
from django.test import override_settings

from apps.concert import catalog
from apps.concert.models import ScheduleRecord, SeatRecord

DEAD_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


@pytest.mark.django_db(transaction=True)
def test_seat_map_is_served_from_cache_until_an_operator_changes_a_seat(
    make_schedule: Callable[..., ScheduleRecord],
    django_assert_num_queries: Callable[..., object],
) -> None:
    schedule = make_schedule(seats=3)
    first = catalog.seat_map_json(schedule.id)
    with django_assert_num_queries(0):  # type: ignore[attr-defined]
        assert catalog.seat_map_json(schedule.id) == first

    seat = SeatRecord.objects.filter(schedule=schedule).first()
    assert seat is not None
    seat.status = "sold"
    seat.save()  # as the admin would; the cache is cleared on commit
    assert b'"status":"sold"' in catalog.seat_map_json(schedule.id)


@pytest.mark.django_db(transaction=True)
def test_in_a_rush_a_changed_seat_map_is_rebuilt_at_most_once_per_stale_window(
    make_schedule: Callable[..., ScheduleRecord],
    django_assert_num_queries: Callable[..., object],
) -> None:
    schedule = make_schedule(seats=3)
    seat = SeatRecord.objects.filter(schedule=schedule).first()
    assert seat is not None
    with override_settings(SEAT_MAP_STALE_SECONDS=60):
        first = catalog.seat_map_json(schedule.id)
        seat.status = "sold"
        seat.save()  # marks the map changed
        with django_assert_num_queries(0):  # type: ignore[attr-defined]
            assert catalog.seat_map_json(schedule.id) == first  # young enough: served as is
    with override_settings(SEAT_MAP_STALE_SECONDS=0):
        assert b'"status":"sold"' in catalog.seat_map_json(schedule.id)  # rebuilt
        with django_assert_num_queries(0):  # type: ignore[attr-defined]
            catalog.seat_map_json(schedule.id)  # and cached again: no change since


@pytest.mark.django_db(transaction=True)
def test_concert_detail_follows_schedule_changes(
    make_schedule: Callable[..., ScheduleRecord],
) -> None:
    schedule = make_schedule(seats=2)
    assert catalog.concert_detail(schedule.concert_id)["schedules"][0]["seats_total"] == 2
    schedule.status = "cancelled"
    schedule.save()
    detail = catalog.concert_detail(schedule.concert_id)
    assert detail["schedules"][0]["sale_status"] == "cancelled"
    assert catalog.bookable_schedules(schedule.concert_id) == []


@pytest.mark.django_db
def test_with_redis_down_the_catalog_is_served_from_the_database(
    make_schedule: Callable[..., ScheduleRecord],
) -> None:
    schedule = make_schedule(seats=4)
    with override_settings(CACHES=DEAD_REDIS):
        body = catalog.seat_map_json(schedule.id)
        assert body.count(b'"status":"available"') == 4
        assert catalog.concert_detail(schedule.concert_id)["id"] == schedule.concert_id
