"""The public catalog: read-only queries for API responses, cached in Redis.

Redis is an accelerator here: when it is down the catalog is served from the database.
Operator changes clear the cached entries after their transaction commits (signals.py);
seat availability may also age by up to the cache lifetime, which is why holds and sales
are decided by the database, never by these numbers.
"""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

import redis.exceptions
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Min, Q
from django.utils import timezone
from django_redis.exceptions import ConnectionInterrupted

from adapters.concert.seat_map import REDIS_ERRORS as SEAT_MAP_ERRORS
from adapters.concert.seat_map import BuiltSeatMap, SeatOffsets, status_slot
from adapters.db_time import to_db
from apps.concert.models import ConcertRecord, ScheduleRecord, SeatRecord
from apps.concert.wiring import seat_map
from apps.http.pagination import PageRequest, keyset_page
from domain.concert.model import ScheduleNotFound, SeatStatus, seat_status_at
from domain.errors import NotFound
from domain.payment.model import RefundWindow

logger = logging.getLogger(__name__)

CACHE_ERRORS = (ConnectionInterrupted, redis.exceptions.RedisError)
CATALOG_PATTERN = "catalog:*"
T = TypeVar("T")


class ConcertNotFound(NotFound):
    code = "not_found"
    title = "Concert not found"


def cached(key: str, seconds: int, build: Callable[[], T]) -> T:
    """The cached value of `key`, built and stored on a miss; built directly if Redis fails."""
    try:
        hit = cache.get(key)
    except CACHE_ERRORS as exc:
        logger.warning("catalog cache unavailable, serving from the database: %s", exc)
        return build()
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    value = build()
    try:
        cache.set(key, value, seconds)
    except CACHE_ERRORS as exc:
        logger.warning("catalog cache unavailable, not storing %s: %s", key, exc)
    return value


def forget_catalog() -> None:
    try:
        cache.delete_pattern(CATALOG_PATTERN)  # type: ignore[attr-defined]
    except CACHE_ERRORS as exc:
        logger.warning("could not clear the catalog cache: %s", exc)


def forget_seat_map(schedule_id: int) -> None:
    """After a bulk change (an operator's edit): the map is built again on the next read.
    Holds, releases and sales patch it in place instead (the booking use cases)."""
    seat_map().forget(schedule_id)


# --- queries --------------------------------------------------------------------------------


def seats_available_at(now: datetime, *, via: str = "") -> Q:
    """Seats a fan could hold at `now`: available, or held by a hold that has lapsed (the
    rule of domain.concert.model.hold_has_lapsed). `via` reaches the seats from another
    model ("seats__" from a schedule), so that the admin counts as the API does."""
    return Q(**{f"{via}status": SeatStatus.AVAILABLE.value}) | Q(
        **{f"{via}status": SeatStatus.HELD.value, f"{via}held_until__lte": now}
    )


def _schedule_rows(schedules: list[ScheduleRecord]) -> list[dict[str, Any]]:
    now = timezone.now()
    counts: dict[int, Any] = {
        row["schedule_id"]: row
        for row in SeatRecord.objects.filter(schedule_id__in=[s.id for s in schedules])
        .values("schedule_id")
        .annotate(total=Count("id"), available=Count("id", filter=seats_available_at(now)))
    }
    return [
        {
            "id": s.id,
            "starts_at": s.starts_at,
            "sale_opens_at": s.sale_opens_at,
            "sale_closes_at": s.sale_closes_at,
            "sale_status": s.sale_window.phase(now).value,
            "seats_total": counts.get(s.id, {}).get("total", 0),
            "seats_available": counts.get(s.id, {}).get("available", 0),
        }
        for s in schedules
    ]


def concert_page(page: PageRequest) -> dict[str, Any]:
    """One page of concerts and the id to continue after."""

    def build() -> dict[str, Any]:
        queryset = ConcertRecord.objects.annotate(first_show_at=Min("schedules__starts_at")).values(
            "id", "title", "artist", "venue", "first_show_at"
        )
        rows, last_id = keyset_page(queryset, page, descending=False)
        return {"results": rows, "last_id": last_id}

    return cached(f"catalog:concerts:{page.cache_key}", settings.CATALOG_CACHE_SECONDS, build)


def concert_detail(concert_id: int) -> dict[str, Any]:
    def build() -> dict[str, Any]:
        concert = ConcertRecord.objects.filter(id=concert_id).first()
        if concert is None:
            raise ConcertNotFound(f"there is no concert {concert_id}")
        schedules = list(concert.schedules.order_by("starts_at", "id"))
        return {
            "id": concert.id,
            "title": concert.title,
            "artist": concert.artist,
            "venue": concert.venue,
            "description": concert.description,
            "first_show_at": schedules[0].starts_at if schedules else None,
            "schedules": _schedule_rows(schedules),
        }

    return cached(f"catalog:concert:{concert_id}", settings.CATALOG_CACHE_SECONDS, build)


def bookable_schedules(concert_id: int) -> list[dict[str, Any]]:
    """Schedules fans can still book: on sale now or opening later, not cancelled."""

    def build() -> list[dict[str, Any]]:
        if not ConcertRecord.objects.filter(id=concert_id).exists():
            raise ConcertNotFound(f"there is no concert {concert_id}")
        now = timezone.now()
        schedules = [
            s
            for s in ScheduleRecord.objects.filter(concert_id=concert_id).order_by("starts_at")
            if s.sale_window.is_bookable(now)
        ]
        return _schedule_rows(schedules)

    return cached(f"catalog:concert:{concert_id}:schedules", settings.CATALOG_CACHE_SECONDS, build)


def schedule_detail(schedule_id: int) -> dict[str, Any]:
    """One schedule with its concert, and what a fan's client needs to book it: how many seats
    a fan may take and until when a purchase can be refunded."""

    def build() -> dict[str, Any]:
        schedule = ScheduleRecord.objects.select_related("concert").filter(id=schedule_id).first()
        if schedule is None:
            raise ScheduleNotFound(f"there is no schedule {schedule_id}")
        concert = schedule.concert
        [row] = _schedule_rows([schedule])
        return {
            **row,
            "concert": {
                "id": concert.id,
                "title": concert.title,
                "artist": concert.artist,
                "venue": concert.venue,
            },
            # The hold applies both limits (docs/BOOKING.md): the show's and the site's.
            "max_seats_per_fan": min(schedule.max_seats_per_fan, settings.MAX_SEATS_PER_FAN),
            # The payment module's rule (RefundWindow): the refund deadline, else the start.
            "refundable_until": RefundWindow(
                starts_at=schedule.starts_at, refund_until=schedule.refund_until
            ).closes_at,
        }

    return cached(f"catalog:schedule:{schedule_id}", settings.CATALOG_CACHE_SECONDS, build)


@dataclass(frozen=True, slots=True)
class SeatMapAnswer:
    body: bytes
    etag: str | None  # None when the map was served as built, without a stored version


def seat_map_answer(schedule_id: int) -> SeatMapAnswer:
    """The seat map as ready-to-send JSON bytes, from Redis, where holds, releases and sales
    patch it as they commit (adapters/concert/seat_map.py); built from the database when it
    is missing, and served from the database alone when Redis is down."""
    store = seat_map()
    try:
        stored = store.read(schedule_id)
    except SEAT_MAP_ERRORS as exc:
        logger.warning("seat map store unavailable, serving from the database: %s", exc)
        return SeatMapAnswer(body=_build_seat_map(schedule_id).body, etag=None)
    if stored.body is not None:
        return SeatMapAnswer(body=stored.body, etag=stored.etag)
    built = _build_seat_map(schedule_id)
    kept = store.store(schedule_id, since=stored.logged, built=built)
    if kept is None or kept.body is None:
        return SeatMapAnswer(body=built.body, etag=None)
    return SeatMapAnswer(body=kept.body, etag=kept.etag)


def seat_map_json(schedule_id: int) -> bytes:
    return seat_map_answer(schedule_id).body


def seat_statuses_answer(schedule_id: int) -> SeatMapAnswer:
    """`{"schedule_id": .., "statuses": "ahs.."}`: the seat map's statuses alone, one letter
    a seat in the map's order, under the map's own ETag. A few kilobytes where the whole map
    is hundreds: what a fan who has the map already asks for again (after a 409, say). One
    Redis call; a map that is missing is built (and stored) first."""
    try:
        stored = seat_map().read_statuses(schedule_id)
    except SEAT_MAP_ERRORS as exc:
        logger.warning("seat map store unavailable, serving from the database: %s", exc)
        stored = None
    etag: str | None
    if stored is not None and stored.body is not None:
        letters, etag = stored.body, stored.etag
    else:
        whole = seat_map_answer(schedule_id)
        at = whole.body.rindex(STATUSES_KEY) + len(STATUSES_KEY)
        letters = whole.body[at : whole.body.index(b'"', at)]
        etag = whole.etag
    body = b'{"schedule_id":%d,"statuses":"%s"}' % (schedule_id, letters)
    return SeatMapAnswer(body=body, etag=etag)


SEAT_ROWS = (
    "SELECT id, section, `row`, number, grade, price, status, held_until FROM seat "
    "WHERE schedule_id = %s ORDER BY id"
)


@lru_cache(maxsize=4096)
def _json_string(value: str) -> str:
    return json.dumps(value)  # sections, rows and grades repeat: escaped once each


# Where a map's letters start: after its last seat, so no seat's text can contain it.
STATUSES_KEY = b'"statuses":"'


def _build_seat_map(schedule_id: int) -> BuiltSeatMap:
    """The body, and the byte offsets of each seat's status slot and letter in it (for
    patches).

    Thousands of seats: hand-written SQL and JSON put together from pieces, since the ORM
    and json.dumps over dicts took 85 ms for 5,000 seats (10 ms now). All ASCII (json.dumps
    escapes the rest), so string offsets are byte offsets."""
    with connection.cursor() as cursor:
        cursor.execute(SEAT_ROWS, [schedule_id])
        rows = cursor.fetchall()
    if not rows and not ScheduleRecord.objects.filter(id=schedule_id).exists():
        raise ScheduleNotFound(f"there is no schedule {schedule_id}")
    now = to_db(timezone.now())  # naive UTC, as the rows come
    held = SeatStatus.HELD.value

    def shown(status: str, until: datetime | None) -> str:
        if status != held:  # only a hold can look different (expired): skip the rest fast
            return status
        return seat_status_at(status=SeatStatus.HELD, held_until=until, now=now).value

    head = f'{{"schedule_id":{schedule_id},"seats":['
    parts, slots, letters, at = [head], [], [], len(head)
    for seat_id, section, row, number, grade, price, status, until in rows:
        before_status = (
            f'{{"id":{seat_id},"section":{_json_string(section)},"row":{_json_string(row)},'
            f'"number":{number},"grade":{_json_string(grade)},"price":{price},"status":'
        )
        if len(parts) > 1:
            before_status = "," + before_status
        slots.append((seat_id, at + len(before_status)))
        now_shown = shown(status, until)
        letters.append(now_shown[0])
        part = before_status + status_slot(now_shown) + "}"
        parts.append(part)
        at += len(part)
    tail = "]," + STATUSES_KEY.decode()
    letters_at = at + len(tail)
    parts += [tail, "".join(letters), '"}']
    offsets = [
        SeatOffsets(seat_id=seat_id, slot=slot, letter=letters_at + n)
        for n, (seat_id, slot) in enumerate(slots)
    ]
    return BuiltSeatMap(
        body="".join(parts).encode(), statuses=(letters_at, len(letters)), offsets=offsets
    )
