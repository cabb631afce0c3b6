from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.reservation.models import ReservationRecord
from apps.reservation.wiring import release_holds


@admin.register(ReservationRecord)
class ReservationAdmin(admin.ModelAdmin[ReservationRecord]):
    list_display = (
        "id",
        "user",
        "schedule_id",
        "status",
        "amount",
        "seat_ids",
        "expires_at",
        "payment_id",
        "created_at",
    )
    list_filter = ("status", "created_at")
    search_fields = ("=id", "=schedule_id", "user__username")
    list_select_related = ("user",)
    readonly_fields = [f.name for f in ReservationRecord._meta.fields]
    actions = ["release_hold"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Release stuck holds (frees their seats)")
    def release_hold(self, request: HttpRequest, queryset: QuerySet[ReservationRecord]) -> None:
        ids = list(queryset.filter(status="held").values_list("id", flat=True))
        released, refused = release_holds()(reservation_ids=ids)
        for reservation_id, why in refused.items():
            self.message_user(request, f"reservation {reservation_id}: {why}", messages.WARNING)
        self.message_user(request, f"Released {len(released)} hold(s).")
