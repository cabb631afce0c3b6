"""The ticket by email: the `notification` consumer group mails the fan the ticket after
payment.succeeded, at most once per payment, however often the event arrives. First in this
process (Django's memory mail backend), then through the real pipeline: relay, broker,
`consume_events --group notification` and a Celery worker writing mails to files."""

import email
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test import override_settings

from adapters.messaging.consumer import EventConsumer
from adapters.messaging.envelope import events_topic
from apps.concert.models import ScheduleRecord
from apps.events.models import OutboxEventRecord
from apps.events.tasks import dispatch_events, handle_event
from apps.notification.models import TicketMailRecord
from apps.notification.ticket_mail import send_ticket_mail
from apps.reservation.wiring import cancel_reservation, hold_seats
from domain.payment.model import PaymentReceipt
from tests.celery_worker import CeleryWorker, empty_celery_queues
from tests.conftest import Fan, fund
from tests.integration.test_outbox_relay import prefix, relay  # noqa: F401  (fixture)
from tests.purchases import pay_held

pytestmark = pytest.mark.django_db(transaction=True)


def buy(
    schedule: ScheduleRecord, fan: Fan, seats: int = 2, *, address: str | None = None
) -> PaymentReceipt:
    get_user_model().objects.filter(id=fan.id).update(
        email=address if address is not None else f"{fan.username}@example.com"
    )
    fund(fan.id, 1_000_000)
    free = schedule.seats.filter(status="available").order_by("id")
    seat_ids = list(free.values_list("id", flat=True)[:seats])
    held = hold_seats()(user_id=fan.id, schedule_id=schedule.id, seat_ids=seat_ids)
    return pay_held(user_id=fan.id, reservation_id=held.id, schedule_id=schedule.id)


def succeeded(payment_id: int) -> dict[str, Any]:
    """The payment.succeeded envelope as the relay sends it, without its sequence, so that
    handle_event runs the handlers directly."""
    row = OutboxEventRecord.objects.get(event_type="payment.succeeded", aggregate_id=payment_id)
    return {
        "event_id": str(row.event_id),
        "type": row.event_type,
        "version": row.version,
        "occurred_at": row.occurred_at.isoformat(),
        "aggregate_id": row.aggregate_id,
        "correlation_id": "",
        "payload": row.payload,
    }


def test_the_mail_has_the_show_the_seats_and_the_reservation_number_in_text_and_html(
    make_schedule: Callable[..., ScheduleRecord], make_fan: Callable[..., Fan]
) -> None:
    schedule = make_schedule(seats=4)
    fan = make_fan()
    paid = buy(schedule, fan)
    assert send_ticket_mail(payment_id=paid.id)
    [message] = mail.outbox
    assert message.to == [f"{fan.username}@example.com"]
    assert "Test Artist" in message.subject and "Test Tour" in message.subject
    text = str(message.body)
    html = str(message.alternatives[0][0])  # type: ignore[attr-defined]
    assert message.alternatives[0][1] == "text/html"  # type: ignore[attr-defined]
    for part in (text, html):
        assert "Test Hall" in part
        assert str(paid.reservation_id) in part
        assert "2,000 points" in part  # paid
    assert "A, row A, seat 1" in text and "A, row A, seat 2" in text
    assert "<td>A</td><td>A</td><td>2</td>" in html
    record = TicketMailRecord.objects.get(payment_id=paid.id)
    assert (record.reservation_id, record.recipient) == (paid.reservation_id, message.to[0])


def test_the_same_event_twice_sends_one_mail(
    make_schedule: Callable[..., ScheduleRecord], make_fan: Callable[..., Fan]
) -> None:
    paid = buy(make_schedule(seats=2), make_fan())
    event = succeeded(paid.id)
    for _ in range(2):
        assert handle_event.apply(args=["notification", "payment.succeeded", event]).successful()
    assert len(mail.outbox) == 1
    assert TicketMailRecord.objects.filter(payment_id=paid.id).count() == 1


def test_two_deliveries_at_the_same_moment_send_one_mail(
    make_schedule: Callable[..., ScheduleRecord], make_fan: Callable[..., Fan]
) -> None:
    """The second waits on the first's claim row until it commits, then finds it."""
    paid = buy(make_schedule(seats=2), make_fan())
    started = threading.Barrier(2)
    sent: list[bool] = []

    def deliver() -> None:
        try:
            started.wait()
            sent.append(send_ticket_mail(payment_id=paid.id))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(sent) == [False, True]
    assert len(mail.outbox) == 1


def test_a_failed_send_leaves_no_claim_and_the_retry_sends(
    make_schedule: Callable[..., ScheduleRecord], make_fan: Callable[..., Fan]
) -> None:
    paid = buy(make_schedule(seats=2), make_fan())
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend"),
        override_settings(EMAIL_HOST="127.0.0.1", EMAIL_PORT=1, EMAIL_TIMEOUT=1),
        pytest.raises(OSError),
    ):
        send_ticket_mail(payment_id=paid.id)  # nothing listens on port 1
    assert not TicketMailRecord.objects.filter(payment_id=paid.id).exists()
    assert send_ticket_mail(payment_id=paid.id)
    assert len(mail.outbox) == 1


def test_no_mail_without_an_address_or_after_a_refund(
    make_schedule: Callable[..., ScheduleRecord], make_fan: Callable[..., Fan]
) -> None:
    schedule = make_schedule(seats=4)
    silent = buy(schedule, make_fan(), address="")
    assert not send_ticket_mail(payment_id=silent.id)
    fan = make_fan()
    refunded = buy(schedule, fan)
    cancel_reservation()(reservation_id=refunded.reservation_id, user_id=fan.id)
    assert not send_ticket_mail(payment_id=refunded.id)
    assert mail.outbox == [] and not TicketMailRecord.objects.exists()


# --- the real pipeline ------------------------------------------------------------------------


def mails_in(directory: Path) -> list[Message]:
    """Every mail the file backend wrote (each file holds messages between separator lines)."""
    messages = []
    for path in sorted(directory.glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk.strip()))
    return messages


def wait_for_mails(directory: Path, count: int, *, seconds: float = 60) -> list[Message]:
    deadline = time.monotonic() + seconds
    while len(found := mails_in(directory)) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(found)} mails after {seconds} s, expected {count}")
        time.sleep(0.1)
    return found


def consume_notifications(group: str, count: int) -> None:
    """What `consume_events --group notification` runs: the next `count` messages of the
    events topic, handed to the Celery worker. The Kafka group is the test's own, so it
    starts with no committed offsets."""
    consumer = EventConsumer(
        bootstrap=settings.KAFKA_BOOTSTRAP_SERVERS,
        group=group,
        topics=[events_topic(settings.KAFKA_TOPIC_PREFIX)],
        dispatch=lambda events: dispatch_events("notification", events),
    )
    assert consumer.run(max_messages=count, stop_after_idle=30) == count


def text_part(message: Message) -> str:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/plain"]
    return str(part.get_payload(decode=True).decode())


@pytest.fixture
def mail_worker(tmp_path: Path) -> Iterator[Path]:
    empty_celery_queues()
    outbox = tmp_path / "mail"
    worker = CeleryWorker(
        concurrency=1,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(outbox),
    ).start()
    yield outbox
    worker.stop()
    empty_celery_queues()


@pytest.mark.broker
def test_through_the_relay_consumer_and_worker_each_payment_is_mailed_once(
    prefix: str,  # noqa: F811
    make_schedule: Callable[..., ScheduleRecord],
    make_fan: Callable[..., Fan],
    mail_worker: Path,
) -> None:
    schedule = make_schedule(seats=6)
    first, second = make_fan(), make_fan()
    paid_first = buy(schedule, first)
    paid_second = buy(schedule, second)
    assert relay(prefix).run(stop_after_idle=0.3) == 4  # held and succeeded, twice
    group = f"notification-{uuid.uuid4().hex[:8]}"
    consume_notifications(group, 4)  # the group hands on the payments, not the holds
    mails = wait_for_mails(mail_worker, 2)
    assert sorted(m["To"] for m in mails) == sorted(
        f"{f.username}@example.com" for f in (first, second)
    )
    assert all(m.get_content_type() == "multipart/alternative" for m in mails)

    # At least once: the first payment's event is published again (a relay that died before
    # marking it), then a third sale. The drain handles a schedule's events in sequence
    # order, so once the third fan's mail is there the repeat has been handled too.
    OutboxEventRecord.objects.filter(
        event_type="payment.succeeded", aggregate_id=paid_first.id
    ).update(published_at=None)
    third = make_fan(f"late-{uuid.uuid4().hex[:6]}")
    paid_third = buy(schedule, third)
    assert relay(prefix).run(stop_after_idle=0.3) == 3
    consume_notifications(group, 3)  # the repeat, the third hold and sale
    mails = wait_for_mails(mail_worker, 3)
    assert len(mails) == 3  # the repeat sent nothing
    mailed = {int(m["X-Reservation-Id"]) for m in mails}
    assert mailed == {p.reservation_id for p in (paid_first, paid_second, paid_third)}
    assert f"Reservation number: {paid_third.reservation_id}" in text_part(
        next(m for m in mails if m["To"].startswith("late-"))
    )
    assert TicketMailRecord.objects.count() == 3
