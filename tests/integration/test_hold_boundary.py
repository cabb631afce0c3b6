"""The hold rule (domain.concert.model.hold_has_lapsed) is applied in Python and, inside
statements, in SQL. Both must agree at the boundary, `now == held_until`: lapsed from that
instant on, live one microsecond before."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from adapters.reservation.orm import OrmHolds
from apps.concert.catalog import seats_available_at
from apps.concert.models import ScheduleRecord, SeatRecord
from domain.concert.model import SeatStatus, hold_has_lapsed, seat_status_at
from tests.conftest import Fan

TICK = timedelta(microseconds=1)


@pytest.mark.django_db
def test_sql_and_domain_agree_on_when_a_hold_lapses(
    make_schedule: Callable[..., ScheduleRecord], make_fan: Callable[..., Fan]
) -> None:
    schedule = make_schedule(seats=1)
    seat = SeatRecord.objects.get(schedule=schedule)
    holder, other = make_fan(), make_fan()
    holds = OrmHolds()
    start = datetime.now(UTC).replace(microsecond=123456)
    expires = start + timedelta(seconds=schedule.hold_ttl_seconds)
    first = holds.add(
        user_id=holder.id,
        schedule_id=schedule.id,
        seat_ids=(seat.id,),
        amount=seat.price,
        expires_at=expires,
        now=start,
    )
    assert (
        holds.take_seats(
            reservation_id=first,
            schedule_id=schedule.id,
            seat_ids=(seat.id,),
            held_until=expires,
            now=start,
        )
        == 1
    )

    def sql_says_lapsed(now: datetime) -> dict[str, bool]:
        terms = holds.terms(
            user_id=holder.id, schedule_id=schedule.id, seat_ids=(seat.id,), now=now
        )
        return {
            "free to hold again (catalog)": SeatRecord.objects.filter(
                seats_available_at(now), id=seat.id
            ).exists(),
            "due for expiry": first in [r.id for r in holds.lapsed(now=now, batch=10)],
            "not counted against the fan's limit": terms.seats_the_fan_has == 0,
        }

    for now, lapsed in ((expires - TICK, False), (expires, True)):
        assert hold_has_lapsed(expires, now) is lapsed
        shown = seat_status_at(status=SeatStatus.HELD, held_until=expires, now=now)
        assert (shown is SeatStatus.AVAILABLE) is lapsed
        assert holds.get(reservation_id=first, user_id=holder.id).is_live_hold(now) is not lapsed
        assert sql_says_lapsed(now) == dict.fromkeys(sql_says_lapsed(now), lapsed)

    second = holds.add(
        user_id=other.id,
        schedule_id=schedule.id,
        seat_ids=(seat.id,),
        amount=seat.price,
        expires_at=expires + timedelta(minutes=5),
        now=expires,
    )
    taken_early = holds.take_seats(
        reservation_id=second,
        schedule_id=schedule.id,
        seat_ids=(seat.id,),
        held_until=expires + timedelta(minutes=5),
        now=expires - TICK,
    )
    taken_on_time = holds.take_seats(
        reservation_id=second,
        schedule_id=schedule.id,
        seat_ids=(seat.id,),
        held_until=expires + timedelta(minutes=5),
        now=expires,
    )
    assert (taken_early, taken_on_time) == (0, 1)
