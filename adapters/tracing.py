"""Spans of our own, each with the request id it serves (`ticketing.request_id`): the one
id that joins a request, its events and its tasks across processes. A no-op span unless
tracing is on (apps/ops/tracing.py installs the provider)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace

from adapters.messaging.outbox import correlation_id

REQUEST_ID = "ticketing.request_id"
tracer = trace.get_tracer("ticketing")


@contextmanager
def span(name: str, *, request_id: str | None = None, **attributes: Any) -> Iterator[None]:
    """`request_id` defaults to the current one (the request's, or the event's in a handler)."""
    with tracer.start_as_current_span(name) as current:
        if current.is_recording():
            current.set_attribute(REQUEST_ID, request_id or correlation_id.get())
            for key, value in attributes.items():
                current.set_attribute(f"ticketing.{key}", value)
        yield
