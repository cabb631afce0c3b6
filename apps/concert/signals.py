"""Operators' changes clear the cached catalog once their transaction has committed.

Clearing before commit would let a concurrent reader cache the old rows again.
"""

from typing import Any

from django.db import transaction
from django.db.models import ProtectedError
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from apps.concert.catalog import forget_catalog, forget_seat_map
from apps.concert.models import ConcertRecord, ScheduleRecord, SeatRecord
from apps.concert.queue_settings import publish_queue_settings
from apps.reservation.models import ReservationRecord


@receiver([post_save, post_delete], sender=ConcertRecord)
@receiver([post_save, post_delete], sender=ScheduleRecord)
def concert_or_schedule_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    transaction.on_commit(forget_catalog)


@receiver(post_save, sender=ScheduleRecord)
def schedule_saved(sender: Any, instance: ScheduleRecord, **kwargs: Any) -> None:
    # Rate and capacity changed in the admin apply to the live queue at once.
    publish_queue_settings(instance)


@receiver([post_save, post_delete], sender=SeatRecord)
def seat_changed(sender: Any, instance: SeatRecord, **kwargs: Any) -> None:
    schedule_id = instance.schedule_id
    transaction.on_commit(forget_catalog)
    transaction.on_commit(lambda: forget_seat_map(schedule_id))


@receiver(pre_delete, sender=ScheduleRecord)
def keep_schedules_with_reservations(sender: Any, instance: ScheduleRecord, **kwargs: Any) -> None:
    """Reservations and payments point at a schedule's seats: deleting it (or its concert,
    which cascades) would leave refunds with nothing to release. Cancel it instead."""
    booked = ReservationRecord.objects.filter(schedule_id=instance.pk)
    if booked.exists():
        raise ProtectedError(
            f"schedule {instance.pk} has reservations: cancel it (refunds run) instead",
            set(booked[:10]),
        )
