import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from apps.concert.models import ScheduleRecord, SeatRecord
from apps.user.models import LedgerEntryRecord, WalletRecord
from domain.concert.model import SalePhase


@pytest.mark.django_db
def test_demo_has_every_kind_of_schedule_and_funded_fans(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.json"
    call_command(
        "seed_demo",
        "--concerts",
        "2",
        "--schedules",
        "3",
        "--seats",
        "40",
        "--users",
        "5",
        "--points",
        "7000",
        "--tokens-out",
        str(tokens),
    )
    now = timezone.now()
    schedules = list(ScheduleRecord.objects.all())
    phases = [s.sale_window.phase(now) for s in schedules]
    assert len(schedules) == 6
    assert phases.count(SalePhase.UPCOMING) == 1
    assert phases.count(SalePhase.CLOSED) == 1  # the past show
    sold_out = [s for s in schedules if not s.seats.exclude(status="sold").exists()]
    assert len(sold_out) == 1
    assert SeatRecord.objects.filter(schedule=schedules[0]).count() >= 40

    fans = get_user_model().objects.filter(username__startswith="fan")
    assert fans.count() == 5
    for wallet in WalletRecord.objects.filter(user__in=fans):
        entries = LedgerEntryRecord.objects.filter(user_id=wallet.user_id)
        assert wallet.balance == 7000 == sum(e.amount for e in entries)
    assert get_user_model().objects.get(username="admin").is_staff

    written = json.loads(tokens.read_text())
    assert len(written) == 5
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {written[0]['access']}")
    assert client.get("/api/v1/me/wallet").json() == {"balance": 7000}


@pytest.mark.django_db
def test_reset_starts_over_and_a_second_run_adds_nothing() -> None:
    args = ["--concerts", "1", "--schedules", "2", "--seats", "20", "--users", "3"]
    call_command("seed_demo", *args)
    call_command("seed_demo", *args)
    assert ScheduleRecord.objects.count() == 2
    call_command("seed_demo", "--reset", *args)
    assert ScheduleRecord.objects.count() == 2
    assert get_user_model().objects.filter(username__startswith="fan").count() == 3
