from django.conf import settings
from django.db import models
from django.utils import timezone

from domain.payment.model import PaymentStatus


class PaymentRecord(models.Model):
    """At most one payment per reservation: the unique constraint is the last line of
    defence against paying twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments"
    )
    reservation_id = models.BigIntegerField(unique=True)
    amount = models.PositiveBigIntegerField()
    status = models.CharField(
        max_length=16,
        choices=[(s.value, s.value) for s in PaymentStatus],
        default=PaymentStatus.SUCCEEDED.value,
    )
    created_at = models.DateTimeField(default=timezone.now)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "payment"
        verbose_name = "payment"

    def __str__(self) -> str:
        return f"payment {self.id} ({self.status})"


class IdempotencyKeyRecord(models.Model):
    """The first response to a fan's Idempotency-Key, replayed for 24 hours."""

    IN_FLIGHT = "in_flight"
    DONE = "done"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    # Compared byte for byte: `Key-A` and `key-a` are two keys (the table's default
    # collation would call them the same and replay one's answer for the other).
    key = models.CharField(max_length=255, db_collation="utf8mb4_bin")
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=16, default=IN_FLIGHT)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "idempotency_key"
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key")]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"
