"""Every request gets a correlation id (the client's X-Request-ID, or a new one), echoed in
the response, written on every event the request causes and on its log lines; and one
access line when it is answered (apps/ops/logs.py)."""

import logging
import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from adapters.messaging.outbox import correlation_id
from apps.ops.logs import access_log, user_id

ACCEPTED = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class CorrelationIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        value = request_id(request)
        with request_context(value):
            started = time.perf_counter()
            response = self.get_response(request)
            log_access_if_on(request, response, time.perf_counter() - started)
        response["X-Request-ID"] = value
        return response


def request_id(request: HttpRequest) -> str:
    """The client's X-Request-ID if it is a sane one, else a new id."""
    given = request.META.get("HTTP_X_REQUEST_ID", "")
    # A fresh id needs to be unique, not secret: the PRNG, without a system call per request.
    return given if given and ACCEPTED.match(given) else f"{random.getrandbits(128):032x}"


@contextmanager
def request_context(value: str) -> Iterator[None]:
    """While a request is handled: its id on events and log lines, and no user yet."""
    token, user_token = correlation_id.set(value), user_id.set(None)
    try:
        yield
    finally:
        correlation_id.reset(token)
        user_id.reset(user_token)


def log_access_if_on(request: HttpRequest, response: HttpResponse, seconds: float) -> None:
    if settings.ACCESS_LOG and access_log.isEnabledFor(logging.INFO):
        log_access(request, response, seconds)


def log_access(request: HttpRequest, response: HttpResponse, seconds: float) -> None:
    match = request.resolver_match
    access_log.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "route": match.route if match else "unmatched",
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 2),
        },
    )
