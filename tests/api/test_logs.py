"""Logs are JSON lines with the request id and the user; one access line per request; the
request id follows the work into Celery tasks and event handlers."""

import json
import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from celery.signals import before_task_publish, task_postrun, task_prerun

from adapters.messaging.outbox import correlation_id
from apps.ops.logs import JsonFormatter
from tests.conftest import Fan

pytestmark = pytest.mark.django_db


class Lines(logging.Handler):
    """Formats each record as it is emitted, while the request's context is still set."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def access_lines() -> Iterator[Lines]:
    handler, logger = Lines(), logging.getLogger("ticketing.access")
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.INFO
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_one_json_access_line_per_request_with_request_and_user(
    fan: Fan, access_lines: Lines
) -> None:
    fan.client().get("/api/v1/me/wallet", HTTP_X_REQUEST_ID="req-42")
    fan.client().get("/api/v1/me/reservations", HTTP_X_REQUEST_ID="req-43")
    wallet, reservations = access_lines.lines
    assert wallet["request_id"] == "req-42" and wallet["user_id"] == fan.id
    assert (wallet["route"], wallet["method"], wallet["status"]) == ("api/v1/me/wallet", "GET", 200)
    assert wallet["duration_ms"] >= 0 and wallet["logger"] == "ticketing.access"
    assert reservations["request_id"] == "req-43" and reservations["user_id"] == fan.id


def test_an_anonymous_request_has_no_user(anonymous: Any, access_lines: Lines) -> None:
    anonymous.get("/api/v1/concerts")
    [line] = access_lines.lines
    assert "user_id" not in line and line["status"] == 200 and line["request_id"]


def test_the_request_id_travels_into_celery_tasks() -> None:
    headers: dict[str, Any] = {}
    token = correlation_id.set("req-77")
    try:
        before_task_publish.send(sender="some.task", headers=headers, body=None)
    finally:
        correlation_id.reset(token)
    assert headers["request_id"] == "req-77"

    class Task:  # what the worker passes: a task whose request carries the header
        request = SimpleNamespace(request_id="req-77", correlation_id="the-task-id")

    task = Task()
    task_prerun.send(sender=task, task_id="t-1", task=task)
    assert correlation_id.get() == "req-77"  # on the task's log lines and events
    task_postrun.send(sender=task, task_id="t-1", task=task)
    assert correlation_id.get() == ""
