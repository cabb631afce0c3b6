"""The catalog cache in the real Redis: hits, invalidation on operator changes, the seat map
patched as seats are held, sold and released, Redis down."""

import json
from collections.abc import Callable

import pytest
from django.test import override_settings

from adapters.concert.seat_map import seat_map_keys
from adapters.queue.connection import queue_redis
from apps.concert import catalog
from apps.concert.models import ScheduleRecord, SeatRecord
from apps.concert.wiring import seat_map
from apps.reservation.wiring import cancel_reservation, hold_seats
from tests.conftest import Fan, fund
from tests.purchases import pay_held

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


def statuses(body: bytes) -> dict[int, str]:
    whole = json.loads(body)
    shown = {seat["id"]: seat["status"] for seat in whole["seats"]}
    # The letters at the end say the same, seat by seat, in the map's order.
    assert whole["statuses"] == "".join(status[0] for status in shown.values())
    return shown


@pytest.mark.django_db(transaction=True)
def test_a_hold_a_sale_and_a_release_show_in_the_next_read_of_the_seat_map(
    make_schedule: Callable[..., ScheduleRecord],
    make_fan: Callable[..., Fan],
    django_assert_num_queries: Callable[..., object],
) -> None:
    schedule = make_schedule(seats=6)
    seats = list(schedule.seats.order_by("id").values_list("id", flat=True))
    fan, other = make_fan(), make_fan()
    fund(fan.id, 100_000)
    first = catalog.seat_map_answer(schedule.id)
    assert set(statuses(first.body).values()) == {"available"} and first.etag

    held = hold_seats()(user_id=fan.id, schedule_id=schedule.id, seat_ids=seats[:2])
    with django_assert_num_queries(0):  # type: ignore[attr-defined]
        after_hold = catalog.seat_map_answer(schedule.id)  # patched, not built again
    assert [statuses(after_hold.body)[s] for s in seats[:3]] == ["held", "held", "available"]
    assert after_hold.etag != first.etag

    pay_held(user_id=fan.id, reservation_id=held.id, schedule_id=schedule.id)
    assert [statuses(catalog.seat_map_json(schedule.id))[s] for s in seats[:2]] == ["sold"] * 2

    other_hold = hold_seats()(user_id=other.id, schedule_id=schedule.id, seat_ids=seats[2:3])
    assert statuses(catalog.seat_map_json(schedule.id))[seats[2]] == "held"
    cancel_reservation()(reservation_id=other_hold.id, user_id=other.id)
    assert statuses(catalog.seat_map_json(schedule.id))[seats[2]] == "available"
    # What the patches made is what the database says.
    catalog.forget_seat_map(schedule.id)
    assert statuses(catalog.seat_map_json(schedule.id)) == statuses(
        catalog.seat_map_json(schedule.id)
    )
    rebuilt = statuses(catalog.seat_map_json(schedule.id))
    assert [rebuilt[s] for s in seats[:3]] == ["sold", "sold", "available"]


@pytest.mark.django_db(transaction=True)
def test_the_statuses_alone_follow_every_change_under_the_maps_etag(
    make_schedule: Callable[..., ScheduleRecord],
    make_fan: Callable[..., Fan],
    django_assert_num_queries: Callable[..., object],
) -> None:
    schedule = make_schedule(seats=4)
    seats = list(schedule.seats.order_by("id").values_list("id", flat=True))
    fan = make_fan()
    fund(fan.id, 100_000)
    catalog.forget_seat_map(schedule.id)
    first = catalog.seat_statuses_answer(schedule.id)  # the map is built and stored first
    assert json.loads(first.body) == {"schedule_id": schedule.id, "statuses": "aaaa"}
    assert first.etag == catalog.seat_map_answer(schedule.id).etag

    held = hold_seats()(user_id=fan.id, schedule_id=schedule.id, seat_ids=seats[1:3])
    with django_assert_num_queries(0):  # type: ignore[attr-defined]
        after_hold = catalog.seat_statuses_answer(schedule.id)  # one Redis call
    assert json.loads(after_hold.body)["statuses"] == "ahha"
    assert after_hold.etag == catalog.seat_map_answer(schedule.id).etag != first.etag
    pay_held(user_id=fan.id, reservation_id=held.id, schedule_id=schedule.id)
    assert json.loads(catalog.seat_statuses_answer(schedule.id).body)["statuses"] == "assa"
    # A map built while seats changed gets the letters it missed too.
    since = seat_map().read(schedule.id).logged
    built = catalog._build_seat_map(schedule.id)
    seat_map().seats_freed(schedule_id=schedule.id, seat_ids=seats[1:2])
    seat_map().store(schedule.id, since=since, built=built)
    assert json.loads(catalog.seat_statuses_answer(schedule.id).body)["statuses"] == "aasa"
    statuses(catalog.seat_map_json(schedule.id))  # and the whole map agrees with them


@pytest.mark.django_db(transaction=True)
def test_a_map_built_while_seats_change_gets_the_changes_it_missed(
    make_schedule: Callable[..., ScheduleRecord],
) -> None:
    schedule = make_schedule(seats=3)
    seats = list(schedule.seats.order_by("id").values_list("id", flat=True))
    store = seat_map()
    since = store.read(schedule.id).logged
    built = catalog._build_seat_map(schedule.id)  # read before the hold below
    store.seats_held(schedule_id=schedule.id, seat_ids=seats[1:2])  # nothing stored to patch
    kept = store.store(schedule.id, since=since, built=built)
    assert kept is not None and kept.body is not None
    assert statuses(kept.body)[seats[1]] == "held"  # the logged patch was applied on store
    # The body runs out a moment before its offsets: a patch then must not make up a body
    # (SETRANGE on a missing key would create one of zero bytes, served until rebuilt).
    store.client.delete(seat_map_keys(schedule.id)[0])
    store.seats_freed(schedule_id=schedule.id, seat_ids=seats[1:2])
    assert store.read(schedule.id).body is None
    assert statuses(catalog.seat_map_json(schedule.id))[seats[1]] == "available"  # from the DB
    # An operator's bulk change meanwhile: the build under way is not stored.
    since = store.read(schedule.id).logged
    built = catalog._build_seat_map(schedule.id)
    store.forget(schedule.id)
    assert store.store(schedule.id, since=since, built=built) is None


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
    dead = "redis://127.0.0.1:1/0"
    try:
        with override_settings(CACHES=DEAD_REDIS, QUEUE_REDIS_URL=dead):
            queue_redis.cache_clear()
            seat_map.cache_clear()
            body = catalog.seat_map_json(schedule.id)
            assert body.count(b'"status":"available"') == 4
            assert catalog.concert_detail(schedule.concert_id)["id"] == schedule.concert_id
    finally:
        queue_redis.cache_clear()
        seat_map.cache_clear()
