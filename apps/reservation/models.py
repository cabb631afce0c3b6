from django.conf import settings
from django.db import models
from django.utils import timezone

from domain.reservation.model import ReservationStatus


class ReservationRecord(models.Model):
    """A fan's hold on seats of one schedule, and what became of it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reservations"
    )
    # The concert module's schedule, by id: modules do not share models.
    schedule_id = models.BigIntegerField(db_index=True)
    seat_ids = models.JSONField()
    amount = models.PositiveBigIntegerField()
    status = models.CharField(
        max_length=16,
        choices=[(s.value, s.value) for s in ReservationStatus],
        default=ReservationStatus.HELD.value,
    )
    expires_at = models.DateTimeField()
    payment_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "reservation"
        verbose_name = "reservation"
        indexes = [
            models.Index(fields=["status", "expires_at"], name="reservation_status_expiry"),
            models.Index(fields=["user", "-id"], name="reservation_user_id_desc"),
        ]

    def __str__(self) -> str:
        return f"reservation {self.id} ({self.status})"


class FanHoldLockRecord(models.Model):
    """One row per fan and schedule, row-locked by every hold of that fan for that schedule
    until its transaction ends: two parallel holds of one fan cannot both count the fan's
    seats before either has added its own, so the per-fan seat limit holds. Holds of
    different fans never wait for each other."""

    user_id = models.BigIntegerField()
    schedule_id = models.BigIntegerField()

    class Meta:
        db_table = "fan_hold_lock"
        constraints = [
            models.UniqueConstraint(fields=["user_id", "schedule_id"], name="fan_hold_lock_once")
        ]

    def __str__(self) -> str:
        return f"holds of user {self.user_id} for schedule {self.schedule_id}"
