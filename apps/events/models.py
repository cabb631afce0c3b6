import uuid

from django.db import models
from django.utils import timezone


class OutboxEventRecord(models.Model):
    """Written in the same transaction as the change it announces; a relay publishes it."""

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(max_length=64)
    version = models.PositiveSmallIntegerField(default=1)
    aggregate_id = models.CharField(max_length=64)
    partition_key = models.CharField(max_length=64, help_text="the schedule id")
    correlation_id = models.CharField(max_length=64, blank=True, default="")
    payload = models.JSONField()
    occurred_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "outbox_event"
        verbose_name = "outbox event"
        # The relay claims the oldest unpublished rows: (published_at IS NULL, id) order.
        indexes = [models.Index(fields=["published_at", "id"], name="outbox_unpublished")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.aggregate_id}"
