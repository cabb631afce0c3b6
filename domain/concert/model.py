"""Concerts, their schedules (one show each) and the seats of a schedule."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.errors import Conflict, InvalidInput, NotFound


class ScheduleStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class SalePhase(StrEnum):
    UPCOMING = "upcoming"
    ON_SALE = "on_sale"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class SeatStatus(StrEnum):
    AVAILABLE = "available"
    HELD = "held"
    SOLD = "sold"


class ScheduleNotFound(NotFound):
    code = "not_found"
    title = "Schedule not found"


class SaleClosed(Conflict):
    code = "sale_closed"
    title = "The sale for this show is closed"


class InvalidSeatLayout(InvalidInput):
    code = "invalid_layout"
    title = "Invalid seat layout"


@dataclass(frozen=True, slots=True, kw_only=True)
class SaleWindow:
    opens_at: datetime
    closes_at: datetime
    status: ScheduleStatus = ScheduleStatus.ACTIVE

    def phase(self, now: datetime) -> SalePhase:
        if self.status is ScheduleStatus.CANCELLED:
            return SalePhase.CANCELLED
        if now < self.opens_at:
            return SalePhase.UPCOMING
        if now < self.closes_at:
            return SalePhase.ON_SALE
        return SalePhase.CLOSED

    def is_bookable(self, now: datetime) -> bool:
        """Fans can still book it: on sale now, or opening later."""
        return self.phase(now) in (SalePhase.UPCOMING, SalePhase.ON_SALE)


def hold_has_lapsed(held_until: datetime, now: datetime) -> bool:
    """The one rule for how long a hold lasts: up to `held_until`, exclusive. From that
    instant on, its seats are free for anyone and its reservation can no longer be paid,
    whether or not a job has marked it expired yet.

    SQL that must apply the rule inside a statement compares in the same direction
    (`held_until <= now` lapsed, `held_until > now` live: adapters/reservation/orm.py);
    tests/integration/test_hold_boundary.py checks both sides agree at `now == held_until`."""
    return held_until <= now


def seat_status_at(*, status: SeatStatus, held_until: datetime | None, now: datetime) -> SeatStatus:
    """What a fan sees: a lapsed hold is already free, before any job releases it."""
    if status is SeatStatus.HELD and held_until is not None and hold_has_lapsed(held_until, now):
        return SeatStatus.AVAILABLE
    return status


@dataclass(frozen=True, slots=True, kw_only=True)
class SectionPlan:
    """One block of seats: `rows` rows of `seats_per_row` seats, all of one grade and price."""

    name: str
    grade: str
    price: int
    rows: int
    seats_per_row: int

    def __post_init__(self) -> None:
        if not self.name or not self.grade:
            raise InvalidSeatLayout("a section needs a name and a grade")
        if self.price < 1:
            # A payment moves points; a free ticket would be a payment of nothing, which the
            # ledger does not record. Free tickets are not sold through this shop.
            raise InvalidSeatLayout("a seat costs at least 1 point")
        if not (1 <= self.rows <= 702 and 1 <= self.seats_per_row <= 1000):
            raise InvalidSeatLayout("rows must be 1..702 and seats per row 1..1000")


@dataclass(frozen=True, slots=True)
class SeatSpec:
    section: str
    row: str
    number: int
    grade: str
    price: int


def row_label(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA, like the signs in a hall."""
    label = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        label = chr(ord("A") + rem) + label
    return label


def lay_out_seats(sections: Sequence[SectionPlan]) -> Iterator[SeatSpec]:
    """Every seat of the given sections, in section, row and number order."""
    names = [s.name for s in sections]
    if len(set(names)) != len(names):
        raise InvalidSeatLayout("section names must be unique")
    for section in sections:
        for r in range(section.rows):
            label = row_label(r)
            for number in range(1, section.seats_per_row + 1):
                yield SeatSpec(section.name, label, number, section.grade, section.price)
