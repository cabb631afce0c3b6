"""Fixtures shared by the suite. Tests run against the real MariaDB, Redis and broker."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from itertools import count

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from adapters.concert.orm import insert_seats
from apps.concert.models import ConcertRecord, ScheduleRecord
from domain.concert.model import SectionPlan, lay_out_seats

_names = count(1)


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@dataclass
class Fan:
    id: int
    username: str
    password: str
    access: str
    refresh: str

    def client(self) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.access}")
        return client


@pytest.fixture
def make_fan(db: None) -> Callable[..., Fan]:
    def make(username: str | None = None, password: str = "s3cret-pass-123") -> Fan:
        username = username or f"fan-{next(_names)}"
        user = get_user_model().objects.create_user(username=username, password=password)
        refresh = RefreshToken.for_user(user)
        return Fan(user.pk, username, password, str(refresh.access_token), str(refresh))

    return make


@pytest.fixture
def fan(make_fan: Callable[..., Fan]) -> Fan:
    return make_fan()


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


@pytest.fixture
def make_schedule(db: None) -> Callable[..., ScheduleRecord]:
    def make(
        *,
        opens_in: timedelta = timedelta(minutes=-10),
        closes_in: timedelta = timedelta(days=7),
        seats: int = 10,
        concert: ConcertRecord | None = None,
        **fields: object,
    ) -> ScheduleRecord:
        now = timezone.now()
        concert = concert or ConcertRecord.objects.create(
            title="Test Tour", artist="Test Artist", venue="Test Hall"
        )
        schedule = ScheduleRecord.objects.create(
            concert=concert,
            starts_at=now + closes_in + timedelta(days=1),
            sale_opens_at=now + opens_in,
            sale_closes_at=now + closes_in,
            **fields,
        )
        if seats:
            plan = SectionPlan(name="A", grade="R", price=1000, rows=1, seats_per_row=seats)
            insert_seats(schedule_id=schedule.id, seats=lay_out_seats([plan]))
        return schedule

    return make


@dataclass
class AdmittedFan:
    fan: Fan
    schedule_id: int
    access_token: str

    def client(self) -> APIClient:
        client = self.fan.client()
        client.credentials(
            HTTP_AUTHORIZATION=f"Bearer {self.fan.access}", HTTP_X_ACCESS_TOKEN=self.access_token
        )
        return client


def fund(user_id: int, points: int) -> None:
    from adapters.transactions import DatabaseUnitOfWork
    from apps.user.wiring import wallet_ledger
    from domain.user.model import LedgerKind

    DatabaseUnitOfWork().run(
        lambda: wallet_ledger().credit(
            user_id=user_id, amount=points, kind=LedgerKind.CHARGE, reference="test"
        )
    )


@pytest.fixture
def admit(make_fan: Callable[..., Fan]) -> Callable[..., AdmittedFan]:
    """A funded fan, let in through the waiting room of the schedule."""

    def make(
        schedule: ScheduleRecord, *, points: int = 1_000_000, fan: Fan | None = None
    ) -> AdmittedFan:
        fan = fan or make_fan()
        if points:
            fund(fan.id, points)
        body = fan.client().post(f"/api/v1/schedules/{schedule.id}/queue").json()
        assert body["status"] == "admitted", body
        return AdmittedFan(fan, schedule.id, body["access_token"])

    return make
