"""Datetimes in hand-written SQL: the database keeps naive UTC (Django's USE_TZ layout)."""

from datetime import UTC, datetime


def to_db(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_db(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
