"""Wallets and accounts on the database.

Every balance change is one conditional UPDATE (no read-modify-write race) and a ledger
row, inside the caller's unit of work.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from adapters.db_time import to_db
from adapters.transactions import unit_of_work_cursor
from apps.user.models import LedgerEntryRecord, WalletRecord
from domain.user.model import (
    InsufficientBalance,
    LedgerEntry,
    LedgerKind,
    UsernameTaken,
    WalletNotFound,
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


class OrmWalletLedger:
    """Hand-written SQL: every payment runs through here, and the ORM's per-query cost was
    the larger part of a payment (docs/PERFORMANCE.md)."""

    def credit(self, *, user_id: int, amount: int, kind: LedgerKind, reference: str) -> LedgerEntry:
        with unit_of_work_cursor() as cursor:
            cursor.execute(
                "UPDATE wallet SET balance = balance + %s, updated_at = %s WHERE user_id = %s",
                [amount, to_db(timezone.now()), user_id],
            )
            if not cursor.rowcount:
                raise WalletNotFound(f"user {user_id} has no wallet")
            return self._record(
                cursor, user_id=user_id, amount=amount, kind=kind, reference=reference
            )

    def debit(self, *, user_id: int, amount: int, kind: LedgerKind, reference: str) -> LedgerEntry:
        checked_debit_amount(amount)
        with unit_of_work_cursor() as cursor:
            cursor.execute(
                "UPDATE wallet SET balance = balance - %s, updated_at = %s "
                "WHERE user_id = %s AND balance >= %s",
                [amount, to_db(timezone.now()), user_id, amount],
            )
            if not cursor.rowcount:
                if not WalletRecord.objects.filter(user_id=user_id).exists():
                    raise WalletNotFound(f"user {user_id} has no wallet")
                raise InsufficientBalance(f"the wallet does not cover {amount} points")
            return self._record(
                cursor, user_id=user_id, amount=amount, kind=kind, reference=reference
            )

    def debit_locked(
        self, *, user_id: int, amount: int, balance: int, kind: LedgerKind, reference: str
    ) -> LedgerEntry:
        """The caller's unit of work already locked the wallet row (SELECT ... FOR UPDATE)
        and read its `balance`: two statements instead of three."""
        checked_debit_amount(amount)
        if balance < amount:
            raise InsufficientBalance(f"the wallet does not cover {amount} points")
        with unit_of_work_cursor() as cursor:
            cursor.execute(
                "UPDATE wallet SET balance = %s, updated_at = %s WHERE user_id = %s",
                [balance - amount, to_db(timezone.now()), user_id],
            )
            return self._entry(
                cursor,
                user_id=user_id,
                amount=amount,
                kind=kind,
                reference=reference,
                balance_after=balance - amount,
            )

    @classmethod
    def _record(
        cls, cursor: Any, *, user_id: int, amount: int, kind: LedgerKind, reference: str
    ) -> LedgerEntry:
        # Our UPDATE holds the row lock until commit, so this reads our own new balance.
        cursor.execute("SELECT balance FROM wallet WHERE user_id = %s", [user_id])
        balance = int(cursor.fetchone()[0])
        return cls._entry(
            cursor,
            user_id=user_id,
            amount=amount,
            kind=kind,
            reference=reference,
            balance_after=balance,
        )

    @staticmethod
    def _entry(
        cursor: Any,
        *,
        user_id: int,
        amount: int,
        kind: LedgerKind,
        reference: str,
        balance_after: int,
    ) -> LedgerEntry:
        balance = balance_after
        now = timezone.now()
        cursor.execute(
            "INSERT INTO ledger_entry (user_id, kind, amount, balance_after, reference, "
            "created_at) VALUES (%s, %s, %s, %s, %s, %s)",
            [user_id, kind.value, amount, balance, reference, to_db(now)],
        )
        return LedgerEntry(
            id=int(cursor.lastrowid),
            user_id=user_id,
            kind=kind,
            amount=amount,
            balance_after=balance,
            reference=reference,
            created_at=now,
        )


class OrmAccounts:
    def create(self, *, username: str, password: str) -> int:
        User = get_user_model()
        try:
            with transaction.atomic():
                user = User.objects.create_user(username=username, password=password)
        except IntegrityError:
            raise UsernameTaken(f"the username {username!r} is taken") from None
        return int(user.pk)


def create_funded_fans(*, usernames: list[str], password_hash: str, points: int) -> list[int]:
    """Many accounts at once, for demo data, load tests and concurrency tests: one shared
    password hash (hashing each would cost ~0.3 s), each wallet opened with a ledger
    charge of `points` so that balance == ledger from the start. Returns the ids."""
    User = get_user_model()
    with transaction.atomic():
        User.objects.bulk_create(User(username=name, password=password_hash) for name in usernames)
        ids = list(User.objects.filter(username__in=usernames).values_list("id", flat=True))
        WalletRecord.objects.bulk_create(WalletRecord(user_id=uid, balance=points) for uid in ids)
        if points:
            LedgerEntryRecord.objects.bulk_create(
                LedgerEntryRecord(
                    user_id=uid,
                    kind=LedgerKind.CHARGE.value,
                    amount=points,
                    balance_after=points,
                    reference="opening balance",
                )
                for uid in ids
            )
    return ids
