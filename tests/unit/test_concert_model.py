from datetime import UTC, datetime, timedelta

import pytest

from domain.concert.model import (
    InvalidSeatLayout,
    SalePhase,
    SaleWindow,
    ScheduleStatus,
    SeatStatus,
    SectionPlan,
    lay_out_seats,
    row_label,
    seat_status_at,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
WINDOW = SaleWindow(opens_at=NOW, closes_at=NOW + timedelta(days=1))


@pytest.mark.parametrize(
    ("at", "phase"),
    [
        (NOW - timedelta(seconds=1), SalePhase.UPCOMING),
        (NOW, SalePhase.ON_SALE),
        (NOW + timedelta(hours=23), SalePhase.ON_SALE),
        (NOW + timedelta(days=1), SalePhase.CLOSED),
    ],
)
def test_sale_phase_follows_the_window(at: datetime, phase: SalePhase) -> None:
    assert WINDOW.phase(at) is phase


def test_a_cancelled_schedule_is_never_bookable() -> None:
    cancelled = SaleWindow(
        opens_at=NOW, closes_at=NOW + timedelta(days=1), status=ScheduleStatus.CANCELLED
    )
    assert cancelled.phase(NOW) is SalePhase.CANCELLED
    assert not cancelled.is_bookable(NOW)
    assert WINDOW.is_bookable(NOW - timedelta(days=3))
    assert not WINDOW.is_bookable(NOW + timedelta(days=2))


def test_an_expired_hold_is_shown_as_available() -> None:
    past, future = NOW - timedelta(seconds=1), NOW + timedelta(seconds=1)
    assert seat_status_at(status=SeatStatus.HELD, held_until=past, now=NOW) is SeatStatus.AVAILABLE
    assert seat_status_at(status=SeatStatus.HELD, held_until=future, now=NOW) is SeatStatus.HELD
    assert seat_status_at(status=SeatStatus.SOLD, held_until=past, now=NOW) is SeatStatus.SOLD


def test_row_labels_read_like_hall_signs() -> None:
    assert [row_label(i) for i in (0, 1, 25, 26, 27, 51, 52)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
    ]


def test_layout_yields_every_seat_once() -> None:
    plans = [
        SectionPlan(name="VIP", grade="VIP", price=100, rows=2, seats_per_row=3),
        SectionPlan(name="Floor", grade="R", price=50, rows=30, seats_per_row=4),
    ]
    seats = list(lay_out_seats(plans))
    assert len(seats) == 2 * 3 + 30 * 4
    assert len({(s.section, s.row, s.number) for s in seats}) == len(seats)
    assert seats[0].section == "VIP" and seats[0].row == "A" and seats[0].number == 1
    assert seats[-1].row == "AD" and seats[-1].number == 4 and seats[-1].price == 50


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "", "grade": "R", "price": 1, "rows": 1, "seats_per_row": 1},
        {"name": "A", "grade": "R", "price": -1, "rows": 1, "seats_per_row": 1},
        # A free seat could not be paid (a payment of 0 points moves nothing to record).
        {"name": "A", "grade": "R", "price": 0, "rows": 1, "seats_per_row": 1},
        {"name": "A", "grade": "R", "price": 1, "rows": 0, "seats_per_row": 1},
        {"name": "A", "grade": "R", "price": 1, "rows": 1, "seats_per_row": 1001},
    ],
)
def test_impossible_sections_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidSeatLayout):
        SectionPlan(**kwargs)  # type: ignore[arg-type]


def test_section_names_must_be_unique() -> None:
    plan = SectionPlan(name="A", grade="R", price=1, rows=1, seats_per_row=1)
    with pytest.raises(InvalidSeatLayout):
        list(lay_out_seats([plan, plan]))
