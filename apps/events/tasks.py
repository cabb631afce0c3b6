import logging
from typing import Any

from celery import shared_task
from django.conf import settings

from adapters.messaging.dead_letters import dead_letter_value, send_to_dead_letters
from apps.events.handlers import handlers_for

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@shared_task(bind=True, acks_late=True, max_retries=MAX_ATTEMPTS - 1, ignore_result=True)
def handle_event(self: Any, group: str, topic: str, envelope: dict[str, Any]) -> None:
    """Runs the group's handlers for one event. acks_late: a worker that dies mid-task leaves
    the task to run again, and the handlers are idempotent. After MAX_ATTEMPTS failures the
    event goes to `<topic>.dlq` with the error, and the consumer has long moved on."""
    try:
        for handler in handlers_for(group, envelope["type"]):
            handler(envelope)
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            logger.error("event %s to the dead letters: %r", envelope.get("event_id"), exc)
            send_to_dead_letters(
                bootstrap=settings.KAFKA_BOOTSTRAP_SERVERS,
                topic=topic,
                value=dead_letter_value(envelope),
                error=repr(exc),
            )
            return
        raise self.retry(exc=exc, countdown=min(30, 2**self.request.retries)) from exc
