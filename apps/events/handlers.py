"""What each module does when an event arrives. Every handler is idempotent: the same
event delivered twice has one effect."""

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef

from apps.concert.models import ScheduleRecord, SeatRecord
from apps.concert.wiring import ranking
from apps.events.wiring import data_platform
from apps.notification.ticket_mail import send_ticket_mail
from domain.concert.model import ScheduleStatus, SeatStatus

logger = logging.getLogger(__name__)
Envelope = dict[str, Any]
Handler = Callable[[Envelope], None]


def _schedule(envelope: Envelope, *fields: str, **annotations: Any) -> Any:
    schedule = (
        ScheduleRecord.objects.filter(id=envelope["payload"]["schedule_id"])
        .annotate(**annotations)
        .values("concert_id", *fields)
        .first()
    )
    if schedule is None:
        raise LookupError(f"event {envelope['event_id']}: unknown schedule")
    return schedule


def count_sale_in_ranking(envelope: Envelope) -> None:
    """payment.succeeded: tickets sold per concert; the time to sell out once sold out."""
    # One query: the concert, and whether any seat is left unsold.
    unsold = SeatRecord.objects.filter(schedule_id=OuterRef("id")).exclude(
        status=SeatStatus.SOLD.value
    )
    schedule = _schedule(envelope, "sale_opens_at", "left", left=Exists(unsold))
    tickets = len(envelope["payload"]["seat_ids"])
    ranking().count_sale(
        event_id=envelope["event_id"], concert_id=schedule["concert_id"], tickets=tickets
    )
    if not schedule["left"]:
        sold_out_at = datetime.fromisoformat(envelope["occurred_at"])
        seconds = (sold_out_at - schedule["sale_opens_at"]).total_seconds()
        ranking().record_sold_out(concert_id=schedule["concert_id"], seconds=max(0.0, seconds))


def uncount_refund_in_ranking(envelope: Envelope) -> None:
    """payment.refunded: the tickets come off the concert's count, once."""
    schedule = _schedule(envelope)
    ranking().count_sale(
        event_id=envelope["event_id"],
        concert_id=schedule["concert_id"],
        tickets=-len(envelope["payload"]["seat_ids"]),
    )


def export_to_data_platform(envelope: Envelope) -> None:
    """payment.succeeded: a signed POST to DATA_PLATFORM_URL. With no URL configured the
    export is switched off, on purpose (local development)."""
    if not settings.DATA_PLATFORM_URL:
        logger.debug("data platform export is off; event %s not sent", envelope["event_id"])
        return
    data_platform().send(envelope)


def refund_everyone(envelope: Envelope) -> None:
    """schedule.cancelled: the reservation module's step of the refund saga. Each refund
    records reservation.cancelled and payment.refunded in its own transaction.

    It trusts the database, not the message: it acts only for an event that our outbox
    recorded and a schedule the database says is cancelled. A forged message, or a replay
    of an old one from the dead letters, refunds nobody and reopens no seat."""
    from apps.events.models import OutboxEventRecord
    from apps.reservation.wiring import cancel_schedule_reservations

    schedule_id = int(envelope["payload"]["schedule_id"])
    recorded = OutboxEventRecord.objects.filter(
        event_id=envelope["event_id"],
        event_type="schedule.cancelled",
        partition_key=str(schedule_id),
    ).exists()
    cancelled = ScheduleRecord.objects.filter(
        id=schedule_id, status=ScheduleStatus.CANCELLED.value
    ).exists()
    if not (recorded and cancelled):
        logger.warning(
            "schedule.cancelled %s for schedule %s ignored: %s",
            envelope["event_id"],
            schedule_id,
            "not in our outbox" if not recorded else "the schedule is not cancelled",
        )
        return
    count = cancel_schedule_reservations()(schedule_id=schedule_id)
    logger.info(
        "schedule %s cancelled: %d reservations released or refunded",
        envelope["payload"]["schedule_id"],
        count,
    )


def mail_the_ticket(envelope: Envelope) -> None:
    """payment.succeeded: the ticket by email, at most once per payment."""
    send_ticket_mail(payment_id=int(envelope["payload"]["payment_id"]))


# Consumer groups, one per reacting module, and what each does with each event type.
HANDLERS: dict[str, dict[str, list[Handler]]] = {
    "concert": {
        # The seat map reacts in the process that commits the change (PatchSeatMap, run by
        # the booking use cases' event log), not here after the consumers' lag.
        "payment.succeeded": [count_sale_in_ranking],
        "payment.refunded": [uncount_refund_in_ranking],
    },
    "reservation": {
        "schedule.cancelled": [refund_everyone],
    },
    "export": {
        "payment.succeeded": [export_to_data_platform],
    },
    "notification": {
        "payment.succeeded": [mail_the_ticket],
    },
}


def handlers_for(group: str, event_type: str) -> list[Handler]:
    return HANDLERS.get(group, {}).get(event_type, [])
