"""Prometheus metrics: request latency per route, plus what other modules register.

With several server processes (granian workers), set PROMETHEUS_MULTIPROC_DIR to a
directory they share, emptied before they start: every process writes its counters and
histograms there and /metrics adds them up. The gauges read at scrape time (queue, outbox,
dead letters: `register_live`) are the same whichever process answers, so they are added to
that sum as they are.
"""

import os
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.registry import Collector

REQUEST_SECONDS = Histogram(
    "http_request_duration_seconds",
    "Time to answer a request, by route, method and status",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


# Collectors that read Redis or the database when scraped.
LIVE: list[Collector] = []


def register_live(collector: Collector) -> None:
    REGISTRY.register(collector)
    LIVE.append(collector)


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        observe_request(request, response, time.perf_counter() - started)
        return response


def observe_request(request: HttpRequest, response: HttpResponse, seconds: float) -> None:
    match = request.resolver_match
    # The route pattern, not the path: ids in paths would explode the label space.
    route = match.route if match else "unmatched"
    REQUEST_SECONDS.labels(route, request.method, str(response.status_code)).observe(seconds)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        for collector in LIVE:
            registry.register(collector)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
