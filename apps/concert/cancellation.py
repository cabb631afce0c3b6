"""An operator cancels a schedule: the start of the refund saga (docs/EVENTS.md)."""

from django.db import transaction

from adapters.messaging.outbox import record_event
from apps.concert.models import ScheduleRecord
from domain.concert.model import ScheduleNotFound, ScheduleStatus


def cancel_schedule(schedule_id: int) -> bool:
    """Marks the schedule cancelled and records `schedule.cancelled`, in one transaction.
    Returns False when it was cancelled already (nothing is recorded twice)."""
    with transaction.atomic():
        schedule = ScheduleRecord.objects.select_for_update().filter(id=schedule_id).first()
        if schedule is None:
            raise ScheduleNotFound(f"there is no schedule {schedule_id}")
        if schedule.status == ScheduleStatus.CANCELLED.value:
            return False
        schedule.status = ScheduleStatus.CANCELLED.value
        schedule.save(update_fields=["status"])  # the waiting room closes too (signal)
        record_event(
            event_type="schedule.cancelled",
            aggregate_id=schedule_id,
            schedule_id=schedule_id,
            payload={"schedule_id": schedule_id, "concert_id": schedule.concert_id},
        )
    return True
