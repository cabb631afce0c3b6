import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from adapters.user.orm import ledger_entry_from_record
from apps.concert.models import ScheduleRecord, SeatRecord
from apps.payment.management.commands.reconcile import find_violations
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
        "20",
        "--points",
        "700000",
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
    assert fans.count() == 20
    # The sold-out show was sold through real payments: seats, money and ledger agree.
    assert find_violations() == []
    for wallet in WalletRecord.objects.filter(user__in=fans):
        entries = LedgerEntryRecord.objects.filter(user_id=wallet.user_id)
        assert wallet.balance == sum(
            e.signed_amount for e in map(ledger_entry_from_record, entries)
        )
    assert get_user_model().objects.get(username="admin").is_staff

    written = json.loads(tokens.read_text())
    assert len(written) == 20
    last = written[-1]  # the last fans had no seats to buy: still all their points
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {last['access']}")
    assert client.get("/api/v1/me/wallet").json() == {"balance": 700000}


@pytest.mark.django_db
def test_reset_starts_over_and_a_second_run_adds_nothing() -> None:
    args = ["--concerts", "1", "--schedules", "2", "--seats", "20", "--users", "3"]
    call_command("seed_demo", *args)
    call_command("seed_demo", *args)
    assert ScheduleRecord.objects.count() == 2
    call_command("seed_demo", "--reset", *args)
    assert ScheduleRecord.objects.count() == 2
    assert get_user_model().objects.filter(username__startswith="fan").count() == 3
