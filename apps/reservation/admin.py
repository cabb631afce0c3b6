from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from adapters.reservation.orm import OrmHoldStore
from apps.reservation.models import ReservationRecord
from apps.reservation.wiring import UtcClock, seat_locks
from domain.errors import DomainError
from domain.reservation.usecases import lock_owner


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
        store, released = OrmHoldStore(), 0
        for record in queryset.filter(status="held"):
            try:
                held = store.release_hold(
                    reservation_id=record.id, user_id=record.user_id, now=UtcClock().now()
                )
            except DomainError as exc:
                self.message_user(
                    request, f"reservation {record.id}: {exc.detail}", messages.WARNING
                )
                continue
            seat_locks().release(
                schedule_id=held.schedule_id, seat_ids=held.seat_ids, owner=lock_owner(held.user_id)
            )
            released += 1
        self.message_user(request, f"Released {released} hold(s).")
