from django.db import models
from django.utils import timezone

from domain.concert.model import SaleWindow, ScheduleStatus, SeatStatus


class ConcertRecord(models.Model):
    title = models.CharField(max_length=200)
    artist = models.CharField(max_length=200)
    venue = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "concert"
        verbose_name = "concert"

    def __str__(self) -> str:
        return f"{self.artist}: {self.title}"


class ScheduleRecord(models.Model):
    """One show of a concert, with its sale window and waiting-room settings."""

    concert = models.ForeignKey(ConcertRecord, on_delete=models.CASCADE, related_name="schedules")
    starts_at = models.DateTimeField()
    sale_opens_at = models.DateTimeField()
    sale_closes_at = models.DateTimeField()
    status = models.CharField(
        max_length=16,
        choices=[(s.value, s.value) for s in ScheduleStatus],
        default=ScheduleStatus.ACTIVE.value,
    )
    max_active = models.PositiveIntegerField(
        default=100, help_text="Fans allowed to book at the same time."
    )
    admit_per_second = models.PositiveIntegerField(
        default=20,
        help_text="Fans admitted from the waiting room per second (adaptive: where it starts and "
        "the least it admits).",
    )
    adaptive_admission = models.BooleanField(
        default=False,
        help_text="Steer the admission rate by the latency of holds and payments.",
    )
    booking_latency_target_ms = models.PositiveIntegerField(
        default=250,
        help_text="Adaptive: the 95th percentile of hold and payment time to stay under (ms).",
    )
    admit_ceiling = models.PositiveIntegerField(
        default=500, help_text="Adaptive: the admission rate never goes above this (fans/s)."
    )
    hold_ttl_seconds = models.PositiveIntegerField(
        default=300, help_text="How long a seat hold lasts before it expires."
    )
    abandon_after_seconds = models.PositiveIntegerField(
        default=60, help_text="A waiting fan who stops polling this long loses the place."
    )
    max_seats_per_fan = models.PositiveSmallIntegerField(
        default=4, help_text="Seats one fan may hold or buy for this show."
    )
    refund_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Paid reservations are refunded on cancellation until then "
        "(empty: until the show starts).",
    )

    class Meta:
        db_table = "schedule"
        verbose_name = "schedule"
        indexes = [models.Index(fields=["concert", "starts_at"], name="schedule_concert_start")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sale_opens_at__lt=models.F("sale_closes_at")),
                name="schedule_sale_window_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    max_active__gte=1,
                    admit_per_second__gte=1,
                    admit_ceiling__gte=1,
                    booking_latency_target_ms__gte=1,
                ),
                name="schedule_admission_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.concert} @ {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def sale_window(self) -> SaleWindow:
        return SaleWindow(
            opens_at=self.sale_opens_at,
            closes_at=self.sale_closes_at,
            status=ScheduleStatus(self.status),
        )


class SeatRecord(models.Model):
    """A physical seat of one schedule. Holds and sales change it with conditional UPDATEs."""

    schedule = models.ForeignKey(ScheduleRecord, on_delete=models.CASCADE, related_name="seats")
    section = models.CharField(max_length=32)
    row = models.CharField(max_length=8)
    number = models.PositiveIntegerField()
    grade = models.CharField(max_length=16)
    price = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16,
        choices=[(s.value, s.value) for s in SeatStatus],
        default=SeatStatus.AVAILABLE.value,
    )
    reservation_id = models.BigIntegerField(null=True, blank=True)
    held_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "seat"
        verbose_name = "seat"
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "section", "row", "number"], name="seat_unique_place"
            )
        ]
        indexes = [models.Index(fields=["schedule", "status"], name="seat_schedule_status")]

    def __str__(self) -> str:
        return f"{self.section} {self.row}{self.number}"
