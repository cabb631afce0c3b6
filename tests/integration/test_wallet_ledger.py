"""Wallet moves against the real MariaDB, including many threads at once."""

import pytest
from django.db.models import BigIntegerField, Case, F, Sum, When
from django.db.models.functions import Coalesce

from adapters.transactions import DatabaseUnitOfWork
from adapters.user.orm import OrmWalletLedger
from apps.user.models import LedgerEntryRecord, WalletRecord
from apps.user.wiring import charge_wallet
from domain.user.model import InsufficientBalance, LedgerKind
from tests.concurrency import in_threads
from tests.conftest import Fan


def ledger_sum(user_id: int) -> int:
    signed = Case(
        When(kind=LedgerKind.PAYMENT.value, then=-F("amount")),
        default=F("amount"),
        output_field=BigIntegerField(),
    )
    total = LedgerEntryRecord.objects.filter(user_id=user_id).aggregate(
        total=Coalesce(Sum(signed), 0, output_field=BigIntegerField())
    )["total"]
    return int(total)


def balance(user_id: int) -> int:
    return WalletRecord.objects.get(user_id=user_id).balance


@pytest.mark.django_db
def test_a_new_account_has_an_empty_wallet(fan: Fan) -> None:
    assert balance(fan.id) == 0
    assert ledger_sum(fan.id) == 0


@pytest.mark.django_db
def test_debit_beyond_the_balance_changes_nothing(fan: Fan) -> None:
    ledger = OrmWalletLedger()
    ledger.credit(user_id=fan.id, amount=100, kind=LedgerKind.CHARGE, reference="t")
    with pytest.raises(InsufficientBalance):
        ledger.debit(user_id=fan.id, amount=101, kind=LedgerKind.PAYMENT, reference="t")
    assert balance(fan.id) == 100
    assert LedgerEntryRecord.objects.filter(user_id=fan.id).count() == 1
    entry = ledger.debit(user_id=fan.id, amount=100, kind=LedgerKind.PAYMENT, reference="t")
    assert entry.balance_after == 0 == balance(fan.id) == ledger_sum(fan.id)


@pytest.mark.django_db(transaction=True)
def test_concurrent_charges_never_lose_an_update(fan: Fan) -> None:
    threads, per_thread = 16, 15
    charge = charge_wallet()

    def work(i: int) -> None:
        for n in range(per_thread):
            charge(user_id=fan.id, amount=i * 100 + n + 1, reference=f"t{i}-{n}")

    errors = [r for r in in_threads(threads, work) if r is not None]
    assert errors == []
    expected = sum(i * 100 + n + 1 for i in range(threads) for n in range(per_thread))
    assert balance(fan.id) == expected == ledger_sum(fan.id)
    afters = list(
        LedgerEntryRecord.objects.filter(user_id=fan.id).values_list("balance_after", flat=True)
    )
    # Each charge saw the one before it: no two entries end at the same balance.
    assert len(afters) == threads * per_thread == len(set(afters))
    assert max(afters) == expected


@pytest.mark.django_db(transaction=True)
def test_concurrent_debits_never_overdraw(fan: Fan) -> None:
    ledger, uow = OrmWalletLedger(), DatabaseUnitOfWork()
    uow.run(
        lambda: ledger.credit(user_id=fan.id, amount=1000, kind=LedgerKind.CHARGE, reference="t")
    )

    def work(i: int) -> object:
        return uow.run(
            lambda: ledger.debit(
                user_id=fan.id, amount=100, kind=LedgerKind.PAYMENT, reference=str(i)
            )
        )

    results = in_threads(30, work)
    refused = [r for r in results if isinstance(r, InsufficientBalance)]
    assert len(refused) == 20
    assert balance(fan.id) == 0 == ledger_sum(fan.id)


@pytest.mark.django_db(transaction=True)
def test_a_wallet_never_changes_outside_a_unit_of_work(fan: Fan) -> None:
    """Outside a transaction the balance and its ledger entry could commit apart."""
    with pytest.raises(RuntimeError, match="unit of work"):
        OrmWalletLedger().credit(user_id=fan.id, amount=5, kind=LedgerKind.CHARGE, reference="t")
    assert balance(fan.id) == 0 == ledger_sum(fan.id)
