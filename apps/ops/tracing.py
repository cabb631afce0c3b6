"""Optional OpenTelemetry tracing, off unless OTEL_TRACING=1.

Every span carries `ticketing.request_id`, the id a request gets (X-Request-ID) and hands on
to its events and Celery tasks, so that one id finds a request's span, the relay's publish
of its events, the consumer's batch and each handler's run, whichever process made them.
Celery's spans also join by trace (the instrumentation carries the context in the task
headers).

Spans go to an OTLP collector (the standard OTEL_EXPORTER_OTLP_* variables), or, with
OTEL_TRACES_FILE set, to that file as JSON lines, for a look without a collector.
Our own spans are made with adapters/tracing.py's `span()`.
"""

import json
import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from adapters.messaging.outbox import correlation_id
from adapters.tracing import REQUEST_ID

_configured = False


def configure_tracing(service: str) -> bool:
    """Installs the tracer provider of this process once; False when tracing is off."""
    global _configured
    if not settings.OTEL_TRACING or _configured:
        return _configured
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    processor: SpanProcessor
    if settings.OTEL_TRACES_FILE:
        # Written as each span ends: a file is for a look now, and a server's worker may be
        # stopped without the chance to flush a batch.
        processor = SimpleSpanProcessor(JsonLinesExporter(settings.OTEL_TRACES_FILE))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processor = BatchSpanProcessor(OTLPSpanExporter())
    name = settings.OTEL_SERVICE_NAME or f"ticketing-{service}"
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    CeleryInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    from celery.signals import task_prerun

    # After the instrumentation's own handler, which opens the task's span.
    task_prerun.connect(mark_task_span, weak=False)
    _configured = True
    return True


def traced_wsgi(application: Callable[..., Any]) -> Callable[..., Any]:
    """The WSGI app with a server span per request, when tracing is on."""
    if not configure_tracing("web"):
        return application
    from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware

    def with_request_id(span: Any, environ: Any, status: str, headers: Sequence[Any]) -> None:
        for name, value in headers:
            if name.lower() == "x-request-id":
                span.set_attribute(REQUEST_ID, value)

    return OpenTelemetryMiddleware(application, response_hook=with_request_id)


def mark_task_span(**_: Any) -> None:
    """Celery task_prerun, after the request id is set (apps/ops/logs.py): on the task's span."""
    trace.get_current_span().set_attribute(REQUEST_ID, correlation_id.get())


class JsonLinesExporter(SpanExporter):
    """Appends each finished span to a file as one JSON line (several processes may share it)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(json.dumps(json.loads(s.to_json())) + "\n" for s in spans)
        with self.lock, open(self.path, "a", encoding="utf-8") as file:
            file.write(lines)
        return SpanExportResult.SUCCESS
