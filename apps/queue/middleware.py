"""Times every hold and payment for adaptive admission (adapters/queue/booking_latency.py):
the waiting room steers its rate by how fast the servers answer the fans it let in."""

import time
from collections.abc import Callable

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
        # Every answer counts, refusals too: a slow 409 or a 503 is the servers struggling.
        booking_latency().observe((time.perf_counter() - started) * 1000)
        return response
