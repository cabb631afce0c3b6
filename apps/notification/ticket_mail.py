"""The ticket by email after a payment: the `notification` consumer group's handler of
payment.succeeded (apps/events/handlers.py) calls send_ticket_mail.

At most one mail per payment, however often the event arrives: the mail is sent inside the
transaction that inserts the payment's ticket_mail row (unique payment id). A second
delivery waits on that row's key until the first commits, then finds it and sends nothing;
a send that fails rolls the row back, so the retry sends. Only a database failure between
the SMTP server's acceptance and the commit could send twice."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from apps.concert.models import ScheduleRecord, SeatRecord
from apps.notification.models import TicketMailRecord
from apps.payment.models import PaymentRecord
from apps.reservation.models import ReservationRecord
from domain.payment.model import PaymentStatus

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TicketSeat:
    section: str
    row: str
    number: int
    grade: str
    price: int

    @property
    def price_text(self) -> str:
        return f"{self.price:,}"


@dataclass(frozen=True, slots=True)
class Ticket:
    payment_id: int
    reservation_id: int
    recipient: str
    username: str
    artist: str
    title: str
    venue: str
    starts_at: datetime
    seats: list[TicketSeat]
    amount: int

    @property
    def amount_text(self) -> str:
        return f"{self.amount:,}"


def ticket_of(payment_id: int) -> Ticket | None:
    """What the mail says, read from the database (the event only names the payment).
    None when there is nothing to mail: a fan without an email address, or a payment
    refunded before its mail went out."""
    payment = PaymentRecord.objects.filter(id=payment_id).first()
    if payment is None:
        raise LookupError(f"payment {payment_id} does not exist")
    if payment.status != PaymentStatus.SUCCEEDED.value:
        logger.info("payment %s is %s: no ticket mail", payment_id, payment.status)
        return None
    user = get_user_model().objects.get(id=payment.user_id)
    if not user.email:
        logger.info("user %s has no email address: no ticket mail", user.pk)
        return None
    reservation = ReservationRecord.objects.get(id=payment.reservation_id)
    schedule = ScheduleRecord.objects.select_related("concert").get(id=reservation.schedule_id)
    seats = SeatRecord.objects.filter(id__in=reservation.seat_ids).order_by(
        "section", "row", "number"
    )
    return Ticket(
        payment_id=payment.id,
        reservation_id=reservation.id,
        recipient=user.email,
        username=user.get_username(),
        artist=schedule.concert.artist,
        title=schedule.concert.title,
        venue=schedule.concert.venue,
        starts_at=schedule.starts_at,
        seats=[TicketSeat(s.section, s.row, s.number, s.grade, s.price) for s in seats],
        amount=payment.amount,
    )


def ticket_message(ticket: Ticket) -> EmailMultiAlternatives:
    """Plain text, with the same ticket as HTML beside it."""
    context = {"ticket": ticket}
    subject = f"Your tickets: {ticket.artist}, {ticket.title} ({ticket.starts_at:%d %b %Y})"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("notification/ticket_mail.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[ticket.recipient],
        headers={"X-Reservation-Id": str(ticket.reservation_id)},
    )
    message.attach_alternative(
        render_to_string("notification/ticket_mail.html", context), "text/html"
    )
    return message


def send_ticket_mail(*, payment_id: int) -> bool:
    """Mails the ticket of this payment unless it was mailed already. True if sent now."""
    ticket = ticket_of(payment_id)
    if ticket is None:
        return False
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: the duplicate key leaves it alone
                TicketMailRecord.objects.create(
                    payment_id=ticket.payment_id,
                    reservation_id=ticket.reservation_id,
                    recipient=ticket.recipient,
                )
        except IntegrityError:
            logger.info("the ticket of payment %s was mailed already", payment_id)
            return False
        # Sent before the claim commits: an SMTP failure raises, rolls the claim back and
        # the event is retried (then dead-lettered) like any failing handler.
        ticket_message(ticket).send()
    logger.info("ticket of payment %s mailed", payment_id)
    return True
