"""The export of sales to the data platform, against a real HTTP server started here."""

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from apps.events.tasks import handle_event
from tests.data_platform import Platform, running_platform
from tests.kafka_reader import first_message

SECRET = "shared-secret-for-tests"


@pytest.fixture
def platform() -> Iterator[tuple[Platform, str]]:
    with (
        running_platform() as (state, url),
        override_settings(
            DATA_PLATFORM_URL=url, DATA_PLATFORM_SECRET=SECRET, DATA_PLATFORM_TIMEOUT_SECONDS=2
        ),
    ):
        yield state, url


def sale() -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": "payment.succeeded",
        "version": 1,
        "occurred_at": "2026-11-22T00:00:00+00:00",
        "aggregate_id": "7",
        "correlation_id": "req-1",
        "payload": {"payment_id": 7, "schedule_id": 1, "seat_ids": [1, 2], "amount": 2000},
    }


def test_a_sale_is_posted_once_signed(platform: tuple[Platform, str]) -> None:
    state, _ = platform
    event = sale()
    assert handle_event.apply(args=["export", "payment.succeeded", event]).successful()
    [(headers, body)] = state.calls
    # The timestamp is signed with the body: an old request cannot be replayed as new.
    stamp = int(headers["X-Timestamp"])
    assert abs(time.time() - stamp) < 60
    signed = f"{stamp}.".encode() + body
    expected = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert headers["X-Signature"] == f"sha256={expected}"
    assert headers["X-Event-Id"] == event["event_id"]
    assert json.loads(body) == event


def test_failures_are_retried_with_backoff_until_the_platform_answers(
    platform: tuple[Platform, str],
) -> None:
    state, _ = platform
    state.answers = [500, 503]
    assert handle_event.apply(args=["export", "payment.succeeded", sale()]).successful()
    assert len(state.calls) == 3  # two failures, then delivered


def test_a_redirect_is_a_failure_not_a_delivery(platform: tuple[Platform, str]) -> None:
    """Followed, a redirect turns the POST into a GET without the body."""
    state, _ = platform
    state.answers = [302]
    assert handle_event.apply(args=["export", "payment.succeeded", sale()]).successful()
    assert len(state.calls) == 2 and len(state.accepted) == 1  # retried, then delivered
    assert state.gets == 0


@pytest.mark.broker
def test_a_platform_that_keeps_failing_sends_the_event_to_the_dead_letters(
    platform: tuple[Platform, str],
) -> None:
    state, _ = platform
    state.answers = [500] * 10
    topic = f"t{uuid.uuid4().hex[:8]}.payment.succeeded"
    assert handle_event.apply(args=["export", topic, sale()]).successful()
    assert len(state.calls) == 5  # bounded attempts
    message = first_message(f"{topic}.dlq")
    assert message is not None and b"500" in dict(message.headers())["error"]
