"""Times every hold and payment for adaptive admission (adapters/queue/booking_latency.py):
the waiting room steers its rate by how fast the servers answer the fans it let in.

Behind nginx the time starts when nginx got the request (BOOKING_LATENCY_START_HEADER):
under overload, requests wait for a server thread before any Python code sees them, and
that wait is what fans feel first."""

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from apps.queue.wiring import booking_latency

# Holds and payments: what an admitted fan waits for.
BOOKING_PATHS = frozenset({"/api/v1/reservations", "/api/v1/payments"})


class BookingLatencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or request.path_info not in BOOKING_PATHS:
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        in_app = (time.perf_counter() - started) * 1000
        # Every answer counts, refusals too: a slow 409 or a 503 is the servers struggling.
        booking_latency().observe(max(in_app, _since_proxy_got_it(request)))
        return response


def _since_proxy_got_it(request: HttpRequest) -> float:
    """Milliseconds since the proxy's stamp ("t=<seconds>"); 0 without a sane one."""
    header = settings.BOOKING_LATENCY_START_HEADER
    stamp = request.META.get(header, "") if header else ""
    try:
        since = (time.time() - float(stamp.removeprefix("t="))) * 1000
    except ValueError:
        return 0.0
    return since if 0 <= since < 60_000 else 0.0
