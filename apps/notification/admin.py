from django.contrib import admin

from apps.notification.models import TicketMailRecord
from apps.ops.read_only_admin import ReadOnlyAdminMixin


@admin.register(TicketMailRecord)
class TicketMailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[TicketMailRecord]):
    list_display = ("payment_id", "reservation_id", "recipient", "sent_at")
    search_fields = ("=payment_id", "=reservation_id", "recipient")
