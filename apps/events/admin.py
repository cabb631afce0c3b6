from django.contrib import admin

from apps.events.models import OutboxEventRecord
from apps.ops.read_only_admin import ReadOnlyAdminMixin


@admin.register(OutboxEventRecord)
class OutboxEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[OutboxEventRecord]):
    list_display = (
        "id",
        "event_type",
        "aggregate_id",
        "partition_key",
        "occurred_at",
        "published_at",
    )
    list_filter = ("event_type", "published_at")
    search_fields = ("=aggregate_id", "=partition_key", "=event_id")
