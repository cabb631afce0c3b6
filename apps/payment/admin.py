from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.ops.read_only_admin import ReadOnlyAdminMixin
from apps.payment.models import IdempotencyKeyRecord, PaymentRecord


@admin.register(PaymentRecord)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[PaymentRecord]):
    list_display = ("id", "user", "reservation_id", "amount", "status", "created_at", "refunded_at")
    list_filter = ("status", "created_at")
    search_fields = ("=id", "=reservation_id", "user__username")
    list_select_related = ("user",)


@admin.register(IdempotencyKeyRecord)
class IdempotencyKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[IdempotencyKeyRecord]):
    list_display = ("user", "key", "state", "response_status", "created_at")
    list_filter = ("state",)
    search_fields = ("key", "user__username")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)
