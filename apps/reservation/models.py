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
