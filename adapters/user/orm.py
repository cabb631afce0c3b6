"""Wallets and accounts on the database.

Every balance change is one conditional UPDATE (no read-modify-write race) and a ledger
row, inside one transaction.
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.user.models import LedgerEntryRecord, WalletRecord
from domain.errors import NotFound
from domain.user.model import (
    InsufficientBalance,
    LedgerEntry,
    LedgerKind,
    UsernameTaken,
    checked_debit_amount,
)


def ledger_entry_from_record(record: LedgerEntryRecord) -> LedgerEntry:
    return LedgerEntry(
        id=record.id,
        user_id=record.user_id,
        kind=LedgerKind(record.kind),
        amount=record.amount,
        balance_after=record.balance_after,
        reference=record.reference,
        created_at=record.created_at,
    )


class WalletNotFound(NotFound):
    code = "not_found"
    title = "Wallet not found"


class OrmWalletLedger:
    def credit(self, *, user_id: int, amount: int, kind: LedgerKind, reference: str) -> LedgerEntry:
        with transaction.atomic():
            changed = WalletRecord.objects.filter(user_id=user_id).update(
                balance=F("balance") + amount, updated_at=timezone.now()
            )
            if not changed:
                raise WalletNotFound(f"user {user_id} has no wallet")
            return self._record(user_id=user_id, amount=amount, kind=kind, reference=reference)

    def debit(self, *, user_id: int, amount: int, kind: LedgerKind, reference: str) -> LedgerEntry:
        checked_debit_amount(amount)
        with transaction.atomic():
            changed = WalletRecord.objects.filter(user_id=user_id, balance__gte=amount).update(
                balance=F("balance") - amount, updated_at=timezone.now()
            )
            if not changed:
                if not WalletRecord.objects.filter(user_id=user_id).exists():
                    raise WalletNotFound(f"user {user_id} has no wallet")
                raise InsufficientBalance(f"the wallet does not cover {amount} points")
            return self._record(user_id=user_id, amount=amount, kind=kind, reference=reference)

    @staticmethod
    def _record(*, user_id: int, amount: int, kind: LedgerKind, reference: str) -> LedgerEntry:
        # Our UPDATE holds the row lock until commit, so this reads our own new balance.
        balance = WalletRecord.objects.filter(user_id=user_id).values_list("balance", flat=True)[0]
        record = LedgerEntryRecord.objects.create(
            user_id=user_id,
            kind=kind.value,
            amount=amount,
            balance_after=balance,
            reference=reference,
        )
        return ledger_entry_from_record(record)


class OrmAccounts:
    def create(self, *, username: str, password: str) -> int:
        User = get_user_model()
        try:
            with transaction.atomic():
                user = User.objects.create_user(username=username, password=password)
        except IntegrityError:
            raise UsernameTaken(f"the username {username!r} is taken") from None
        return int(user.pk)
