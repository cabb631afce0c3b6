from django.conf import settings
from django.db import models
from django.utils import timezone

from domain.user.model import LedgerKind


class WalletRecord(models.Model):
    """A fan's points. Changed only by adapters.user.orm, always with a ledger entry."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="wallet"
    )
    balance = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "wallet"
        verbose_name = "wallet"
        constraints = [
            models.CheckConstraint(condition=models.Q(balance__gte=0), name="wallet_balance_gte_0")
        ]

    def __str__(self) -> str:
        return f"wallet of user {self.user_id}: {self.balance} points"


class LedgerEntryRecord(models.Model):
    """Append-only: every change of a wallet's balance, with the balance after it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ledger_entries"
    )
    kind = models.CharField(max_length=16, choices=[(k.value, k.value) for k in LedgerKind])
    # Signed column type: SQL that negates payments (sum of the ledger) must not overflow.
    amount = models.BigIntegerField()
    balance_after = models.BigIntegerField()
    reference = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "ledger_entry"
        verbose_name = "ledger entry"
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["user", "-id"], name="ledger_user_id_desc")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="ledger_amount_gt_0")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} (user {self.user_id})"
