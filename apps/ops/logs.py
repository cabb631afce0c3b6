"""Logs as JSON lines, each with the request id (the correlation id that also goes onto
every event the request causes) and the signed-in user when there is one; one access line
per request (`ticketing.access`: route, method, status, duration). The request id follows
the work into Celery tasks (a message header) and into event handlers (the envelope's
correlation id), so one id finds a request, its tasks and its events."""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from adapters.messaging.outbox import correlation_id

# Set by the bearer checks (apps/http/bearer.py) for the request being handled.
user_id: ContextVar[int | None] = ContextVar("user_id", default=None)
access_log = logging.getLogger("ticketing.access")

# What an access line (or any record) may carry besides the message.
FIELDS = ("route", "method", "path", "status", "duration_ms", "task")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request_id := correlation_id.get():
            line["request_id"] = request_id
        if (uid := user_id.get()) is not None:
            line["user_id"] = uid
        for field in FIELDS:
            if (value := getattr(record, field, None)) is not None:
                line[field] = value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


# Not "correlation_id": Celery sets that message property to the task's own id.
TASK_HEADER = "request_id"


def connect_celery_signals() -> None:
    """The request id travels with each task: a message header when it is sent, the
    context of the worker while it runs."""
    from celery.signals import before_task_publish, task_postrun, task_prerun

    tokens: dict[str, Any] = {}

    def stamp(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if headers is not None and (request_id := correlation_id.get()):
            headers.setdefault(TASK_HEADER, request_id)

    def adopt(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
        request = getattr(task, "request", None)
        given = getattr(request, TASK_HEADER, None) or (
            getattr(request, "headers", None) or {}
        ).get(TASK_HEADER)
        tokens[task_id] = correlation_id.set(str(given or ""))

    def drop(task_id: str = "", **kwargs: Any) -> None:
        if (token := tokens.pop(task_id, None)) is not None:
            correlation_id.reset(token)

    before_task_publish.connect(stamp, weak=False)
    task_prerun.connect(adopt, weak=False)
    task_postrun.connect(drop, weak=False)
