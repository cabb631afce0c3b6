from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from apps.concert.catalog import seats_available_at
from apps.concert.models import ConcertRecord, ScheduleRecord, SeatRecord
from apps.concert.seating import add_seats
from apps.concert.wiring import cancel_schedule
from apps.queue.wiring import clock, waiting_room
from apps.reservation.models import ReservationRecord
from domain.concert.model import InvalidSeatLayout, SectionPlan, lay_out_seats
from domain.queue.admission import RateReason
from domain.queue.model import QueueStats, QueueUnavailable


def booked_schedules(schedule_ids: list[int]) -> list[str]:
    """What stops a delete: schedules with reservations (cancel them instead)."""
    booked = (
        ReservationRecord.objects.filter(schedule_id__in=schedule_ids)
        .values_list("schedule_id", flat=True)
        .distinct()
    )
    return [f"schedule {sid} has reservations: cancel it instead" for sid in sorted(booked)]


class ScheduleInline(admin.TabularInline[ScheduleRecord, ConcertRecord]):
    model = ScheduleRecord
    fields = (
        "starts_at",
        "sale_opens_at",
        "sale_closes_at",
        "status",
        "max_active",
        "admit_per_second",
    )
    # Status changes only through cancelling, which refunds (the schedule's action).
    readonly_fields = ("status",)
    extra = 0
    show_change_link = True


@admin.register(ConcertRecord)
class ConcertAdmin(admin.ModelAdmin[ConcertRecord]):
    list_display = ("id", "title", "artist", "venue", "created_at")
    search_fields = ("title", "artist", "venue")
    inlines = [ScheduleInline]

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        deleted, counts, perms, protected = super().get_deleted_objects(objs, request)
        schedules = list(
            ScheduleRecord.objects.filter(concert__in=objs).values_list("id", flat=True)
        )
        return deleted, counts, perms, [*protected, *booked_schedules(schedules)]


class SeatLayoutForm(forms.Form):
    """One line per section: name, grade, price, rows, seats per row."""

    sections = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "cols": 60}),
        initial="VIP, VIP, 150000, 2, 20\nFloor, R, 120000, 5, 30\nBalcony, S, 80000, 5, 30",
        help_text="One section per line: name, grade, price, rows, seats per row.",
    )

    def clean_sections(self) -> list[SectionPlan]:
        plans = []
        for number, line in enumerate(self.cleaned_data["sections"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split(",")]
            try:
                name, grade, price, rows, per_row = parts
                plans.append(
                    SectionPlan(
                        name=name,
                        grade=grade,
                        price=int(price),
                        rows=int(rows),
                        seats_per_row=int(per_row),
                    )
                )
            except (ValueError, InvalidSeatLayout) as exc:
                raise forms.ValidationError(f"line {number}: {exc}") from None
        if not plans:
            raise forms.ValidationError("give at least one section")
        return plans


def admission_line(stats: QueueStats) -> str:
    """The rate the next steps admit at, and for adaptive admission why and by what."""
    if stats.rate_reason == RateReason.FIXED:
        return f"rate {stats.admission_rate}/s (fixed)"
    steering = (
        "" if stats.steering_p95_ms is None else f", booking p95 {stats.steering_p95_ms:.0f} ms"
    )
    return f"rate {stats.admission_rate}/s (adaptive: {stats.rate_reason}{steering})"


def seats_line(stats: QueueStats) -> str:
    """What bounds admission near the end of a sale: a seat left for each admitted fan."""
    if stats.seats_free is None:
        return ""
    return f" · seats free {stats.seats_free:,} for {stats.claims:,} admitted not yet holding"


@admin.register(ScheduleRecord)
class ScheduleAdmin(admin.ModelAdmin[ScheduleRecord]):
    list_display = (
        "id",
        "concert",
        "starts_at",
        "sale_opens_at",
        "sale_closes_at",
        "status",
        "seats_total",
        "seats_available",
        "max_active",
        "admit_per_second",
    )
    list_filter = ("status", "starts_at")
    search_fields = ("concert__title", "concert__artist")
    list_select_related = ("concert",)
    actions = ["generate_seats", "pause_admission", "resume_admission", "cancel_and_refund"]
    # Cancelling is the action that refunds; editing the status would refund nobody, and
    # un-cancelling would reopen a refunded show.
    readonly_fields = ("status", "waiting_room", "refund_progress")

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        deleted, counts, perms, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, perms, [*protected, *booked_schedules([s.pk for s in objs])]

    @admin.display(description="live reservations (refund saga progress)")
    def refund_progress(self, schedule: ScheduleRecord) -> str:
        if not schedule.pk:
            return "-"
        live = ReservationRecord.objects.filter(
            schedule_id=schedule.pk, status__in=["held", "confirmed"]
        ).count()
        if schedule.status == "cancelled":
            return f"{live} still to release or refund" if live else "all released and refunded"
        return f"{live} held or paid"

    @admin.action(description="Cancel the show and refund every purchase")
    def cancel_and_refund(self, request: HttpRequest, queryset: QuerySet[ScheduleRecord]) -> None:
        started = [s.id for s in queryset if cancel_schedule()(schedule_id=s.id)]
        self.message_user(
            request,
            f"Cancelled {len(started)} schedule(s); refunds are on "
            "their way (see 'live reservations').",
        )

    @admin.display(description="waiting room (live)")
    def waiting_room(self, schedule: ScheduleRecord) -> str:
        if not schedule.pk:
            return "-"
        try:
            stats = waiting_room().stats(schedule_id=schedule.pk, now_ms=clock().now_ms())
        except QueueUnavailable:
            return "Redis unavailable"
        return (
            f"waiting {stats.waiting:,} · active {stats.active:,} of {stats.slots:,} · pre-queue "
            f"{stats.pre_queue:,} · admitted/s {stats.admitted_per_second:.1f} · admitted "
            f"{stats.admitted_total:,} · abandoned {stats.abandoned_total:,} · "
            f"{admission_line(stats)}{seats_line(stats)}" + (" · PAUSED" if stats.paused else "")
        )

    def _set_paused(
        self, request: HttpRequest, queryset: QuerySet[ScheduleRecord], paused: bool
    ) -> None:
        for schedule in queryset:
            waiting_room().set_paused(schedule_id=schedule.id, paused=paused)
        verb = "paused" if paused else "resumed"
        self.message_user(request, f"Admission {verb} for {queryset.count()} schedule(s).")

    @admin.action(description="Pause admission from the waiting room")
    def pause_admission(self, request: HttpRequest, queryset: QuerySet[ScheduleRecord]) -> None:
        self._set_paused(request, queryset, True)

    @admin.action(description="Resume admission from the waiting room")
    def resume_admission(self, request: HttpRequest, queryset: QuerySet[ScheduleRecord]) -> None:
        self._set_paused(request, queryset, False)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ScheduleRecord]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                seat_count=Count("seats"),
                available_count=Count(
                    "seats", filter=seats_available_at(timezone.now(), via="seats__")
                ),
            )
        )

    @admin.display(description="seats", ordering="seat_count")
    def seats_total(self, schedule: Any) -> int:
        return int(schedule.seat_count)

    @admin.display(description="available", ordering="available_count")
    def seats_available(self, schedule: Any) -> int:
        return int(schedule.available_count)

    @admin.action(description="Generate seats (sections x rows x seats)")
    def generate_seats(
        self, request: HttpRequest, queryset: QuerySet[ScheduleRecord]
    ) -> HttpResponse | None:
        with_seats = queryset.filter(seats__isnull=False).distinct()
        if with_seats.exists():
            ids = ", ".join(str(s.id) for s in with_seats)
            self.message_user(request, f"Schedules {ids} already have seats.", messages.ERROR)
            return None
        form = SeatLayoutForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            plans = form.cleaned_data["sections"]
            created = 0
            for schedule in queryset:
                created += add_seats(schedule_id=schedule.id, seats=lay_out_seats(plans))
            self.message_user(request, f"Created {created:,} seats.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Generate seats",
            "form": form,
            "schedules": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/concert/generate_seats.html", context)


@admin.register(SeatRecord)
class SeatAdmin(admin.ModelAdmin[SeatRecord]):
    list_display = (
        "id",
        "schedule",
        "section",
        "row",
        "number",
        "grade",
        "price",
        "status",
        "reservation_id",
        "held_until",
    )
    list_filter = ("status", "grade", "section")
    search_fields = ("=schedule__id", "=reservation_id")
    list_select_related = ("schedule__concert",)
    raw_id_fields = ("schedule",)
    show_full_result_count = False
    # Holds and sales move seats, never a form: editing these could sell a seat twice.
    readonly_fields = ("status", "reservation_id", "price", "held_until")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # seats come from "Generate seats", laid out by the domain

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A seat held, sold or listed by a reservation must stay; a free one may go (with
        # its schedule, say).
        if obj is not None and (obj.status != "available" or obj.reservation_id):
            return False
        return super().has_delete_permission(request, obj)
