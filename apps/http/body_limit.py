"""Refuses a request body over MAX_BODY_BYTES before anything reads it: a 413 problem+json
from the Content-Length alone, so a large upload never ties up a worker parsing it. Bodies
sent without a length are cut off by Django at the same size when read (RequestDataTooBig,
also a 413)."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from apps.http.problems import (
    BODY_TOO_LARGE_CODE,
    BODY_TOO_LARGE_TITLE,
    body_too_large_detail,
    plain_problem,
)


class BodySizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return plain_problem(
                413, BODY_TOO_LARGE_CODE, BODY_TOO_LARGE_TITLE, body_too_large_detail()
            )
        return self.get_response(request)
