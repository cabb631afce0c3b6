"""OpenTelemetry tracing (apps/ops/tracing.py): one request id joins the request's span,
the relay's publish of its events, the consumer's handling of them and the Celery task."""

import json
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adapters.messaging.envelope import events_topic
from adapters.messaging.outbox import correlation_id
from adapters.messaging.relay import OutboxRelay, ensure_topics
from adapters.tracing import REQUEST_ID
from apps.concert.models import ScheduleRecord
from apps.events.models import OutboxEventRecord
from apps.events.tasks import dispatch_events, handle_event
from apps.reservation.wiring import hold_seats
from tests.celery_worker import CeleryWorker, empty_celery_queues
from tests.conftest import Fan, fund
from tests.e2e.granian import running_granian, server_env
from tests.kafka_reader import read_messages
from tests.purchases import pay_held

EXPORTED = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def _tracer_provider() -> None:
    """This process's spans in memory (a provider can be set once per process)."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(EXPORTED))
    trace.set_tracer_provider(provider)


@pytest.fixture
def spans() -> Iterator[Callable[[str], list[str]]]:
    EXPORTED.clear()

    def named_for(request_id: str) -> list[str]:
        return [
            span.name
            for span in EXPORTED.get_finished_spans()
            if (span.attributes or {}).get(REQUEST_ID) == request_id
        ]

    yield named_for
    EXPORTED.clear()


@pytest.mark.django_db(transaction=True)
def test_a_request_span_carries_its_request_id(tmp_path: Path) -> None:
    """A real server with tracing on, spans written to a file: the server span of each
    request has the id the request was answered with."""
    traces = tmp_path / "spans.jsonl"
    env = server_env(OTEL_TRACING="1", OTEL_TRACES_FILE=str(traces))
    with running_granian(env=env) as address:
        request = urllib.request.Request(
            f"http://{address}/api/v1/concerts", headers={"X-Request-ID": "trace-me-7"}
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert answer.headers["X-Request-ID"] == "trace-me-7"
    # The batch processor writes what is left when the server stops.
    found = [json.loads(line) for line in traces.read_text().splitlines()]
    mine = [s for s in found if s["attributes"].get(REQUEST_ID) == "trace-me-7"]
    assert mine and mine[0]["kind"] == "SpanKind.SERVER"
    assert mine[0]["resource"]["attributes"]["service.name"] == "ticketing-web"


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_the_events_of_a_request_are_published_and_handled_under_its_id(
    spans: Callable[[str], list[str]],
    make_schedule: Callable[..., ScheduleRecord],
    fan: Fan,
    tmp_path: Path,
) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    schedule = make_schedule(seats=2)
    fund(fan.id, 10_000)
    token = correlation_id.set("trace-me-8")  # as CorrelationIdMiddleware does
    try:
        seat = schedule.seats.first().id
        held = hold_seats()(user_id=fan.id, schedule_id=schedule.id, seat_ids=[seat])
        pay_held(user_id=fan.id, reservation_id=held.id, schedule_id=schedule.id)
    finally:
        correlation_id.reset(token)
    assert {e.correlation_id for e in OutboxEventRecord.objects.all()} == {"trace-me-8"}

    with override_settings(KAFKA_TOPIC_PREFIX=prefix):
        ensure_topics(settings.KAFKA_BOOTSTRAP_SERVERS, prefix=prefix, partitions=1)
        relay = OutboxRelay(bootstrap=settings.KAFKA_BOOTSTRAP_SERVERS, topic_prefix=prefix)
        assert relay.run(stop_after_idle=0.3) == 2
    messages = read_messages([events_topic(prefix)], 2)
    dispatch_events("concert", [(m.topic(), json.loads(m.value())) for m in messages])
    # The concert group reacts to the payment, not to the hold.
    assert spans("trace-me-8") == [
        "publish reservation.held",
        "publish payment.succeeded",
        "consume payment.succeeded",
    ]
    message = messages[1]
    envelope: dict[str, Any] = json.loads(message.value())

    # A real worker, tracing to a file: the instrumentation opens the task's span (and
    # carries the trace in the task headers), and the span gets the id the task carries.
    traces = tmp_path / "worker-spans.jsonl"
    empty_celery_queues()
    worker = CeleryWorker(concurrency=1, OTEL_TRACING="1", OTEL_TRACES_FILE=str(traces)).start()
    try:
        token = correlation_id.set("trace-me-8")
        try:
            handle_event.apply_async(args=["concert", message.topic(), envelope])
        finally:
            correlation_id.reset(token)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "handle payment.succeeded" not in worker_spans(
            traces, "trace-me-8"
        ):
            time.sleep(0.2)
    finally:
        worker.stop()
    handled = worker_spans(traces, "trace-me-8")
    assert "handle payment.succeeded" in handled
    assert "run/apps.events.tasks.handle_event" in handled, handled


def worker_spans(traces: Path, request_id: str) -> list[str]:
    if not traces.exists():
        return []
    found = [json.loads(line) for line in traces.read_text().splitlines() if line]
    return [s["name"] for s in found if s["attributes"].get(REQUEST_ID) == request_id]
