"""Every request gets a correlation id (the client's X-Request-ID, or a new one), echoed in
the response and written on every event the request causes."""

import random
import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from adapters.messaging.outbox import correlation_id

ACCEPTED = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class CorrelationIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        # A fresh id needs to be unique, not secret: the PRNG, without a system call per request.
        value = given if given and ACCEPTED.match(given) else f"{random.getrandbits(128):032x}"
        token = correlation_id.set(value)
        try:
            response = self.get_response(request)
        finally:
            correlation_id.reset(token)
        response["X-Request-ID"] = value
        return response
