"""Every error the API returns is application/problem+json with a stable `code`.

One exception handler maps domain error categories and framework exceptions to statuses
(docs/ERRORS.md). A dependency failure is a 503 with Retry-After; only a bug is a 500.
"""

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

import redis.exceptions
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django_redis.exceptions import ConnectionInterrupted
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback
from rest_framework_simplejwt.exceptions import InvalidToken

from domain import errors as domain

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"

# MariaDB/MySQL: lock wait timeout and deadlock. Retrying later may succeed.
LOCK_ERRORS = {1205, 1213}
DB_RETRY_AFTER = 5

_DOMAIN_STATUS: list[tuple[type[domain.DomainError], int]] = [
    (domain.NotFound, 404),
    (domain.InvalidInput, 400),
    (domain.Unprocessable, 422),
    (domain.Unauthenticated, 401),
    (domain.PaymentRequired, 402),
    (domain.Forbidden, 403),
    (domain.Conflict, 409),
    (domain.RateLimited, 429),
    (domain.DependencyUnavailable, 503),
]


def problem_body(*, status: int, code: str, title: str, detail: str) -> dict[str, Any]:
    return {
        "type": f"https://errors.ticketing.example/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }


def problem_response(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    retry_after: int | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    body = problem_body(status=status, code=code, title=title, detail=detail)
    if extra:
        body.update(extra)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return Response(body, status=status, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


class InvalidRequest(domain.InvalidInput):
    """Input that failed validation, with the messages for each field."""

    def __init__(self, errors: Any, *, code: str = "invalid") -> None:
        super().__init__("The request body or parameters are not valid; see `errors`.")
        self.errors = errors
        self.code = code  # type: ignore[misc]  # the code is chosen by the endpoint


def _status_of(exc: domain.DomainError) -> int:
    for category, status in _DOMAIN_STATUS:
        if isinstance(exc, category):
            return status
    return 400


def domain_problem(exc: domain.DomainError) -> Response:
    extra = {"errors": exc.errors} if isinstance(exc, InvalidRequest) else None
    return problem_response(
        status=_status_of(exc),
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        retry_after=getattr(exc, "retry_after", None),
        extra=extra,
    )


def _drf_code(exc: drf.APIException) -> str:
    if isinstance(exc, InvalidToken):
        return "token_invalid"
    if isinstance(exc, drf.NotAuthenticated):
        return "not_authenticated"
    if isinstance(exc, drf.AuthenticationFailed):
        return "token_invalid"
    if isinstance(exc, drf.ParseError):
        return "malformed_request"
    if isinstance(exc, drf.Throttled):
        return "rate_limited"
    if isinstance(exc, drf.NotFound):
        return "not_found"
    if isinstance(exc, drf.PermissionDenied):
        return "forbidden"
    if isinstance(exc, drf.MethodNotAllowed):
        return "method_not_allowed"
    if isinstance(exc, drf.UnsupportedMediaType):
        return "unsupported_media_type"
    if isinstance(exc, drf.NotAcceptable):
        return "not_acceptable"
    if isinstance(exc, drf.ValidationError):
        return "invalid"
    return "error"


def _drf_problem(exc: drf.APIException) -> Response:
    status = exc.status_code
    code = _drf_code(exc)
    extra: dict[str, Any] = {}
    if isinstance(exc, drf.ValidationError):
        detail = "The request body or parameters are not valid; see `errors`."
        extra["errors"] = exc.detail
    else:
        detail = str(exc.detail)
    retry_after = None
    if isinstance(exc, drf.Throttled):
        retry_after = max(1, int(getattr(exc, "wait", None) or 1))
    response = problem_response(
        status=status,
        code=code,
        title=str(exc.default_detail),
        detail=detail,
        retry_after=retry_after,
        extra=extra,
    )
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        response["WWW-Authenticate"] = auth_header
    return response


class LockTimeout(domain.Conflict):
    code = "lock_timeout"
    title = "Busy, try again"
    retry_after = 1


class DatabaseUnavailable(domain.DependencyUnavailable):
    code = "database_unavailable"
    title = "Database unavailable"


class RedisUnavailable(domain.DependencyUnavailable):
    code = "redis_unavailable"
    title = "Redis unavailable"


DEPENDENCY_ERRORS = (DatabaseError, redis.exceptions.RedisError, ConnectionInterrupted)


def dependency_error(exc: Exception) -> domain.DomainError | None:
    """What a failing database or Redis means for the client: a 409 for lock contention,
    a 503 with Retry-After when it cannot be reached; None for anything else (a bug)."""
    if isinstance(exc, OperationalError) and exc.args and exc.args[0] in LOCK_ERRORS:
        return LockTimeout("Others are changing the same data right now; try again shortly.")
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning("database unavailable: %s", exc)
        return DatabaseUnavailable(
            "The database cannot be reached right now; nothing was changed.",
            retry_after=DB_RETRY_AFTER,
        )
    if isinstance(
        exc,
        redis.exceptions.ConnectionError | redis.exceptions.TimeoutError | ConnectionInterrupted,
    ):
        logger.warning("redis unavailable: %s", exc)
        return RedisUnavailable(
            "A service this request needs cannot be reached right now.",
            retry_after=DB_RETRY_AFTER,
        )
    return None


def dependency_problem(exc: Exception) -> Response | None:
    error = dependency_error(exc)
    return domain_problem(error) if error is not None else None


BODY_TOO_LARGE_CODE, BODY_TOO_LARGE_TITLE = "body_too_large", "Request body too large"


def body_too_large_detail() -> str:
    return f"Request bodies are limited to {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):  # a body sent without a length, cut off when read
        return problem_response(
            status=413,
            code=BODY_TOO_LARGE_CODE,
            title=BODY_TOO_LARGE_TITLE,
            detail=body_too_large_detail(),
        )
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    if isinstance(exc, domain.DomainError):
        set_rollback()
        return domain_problem(exc)
    if isinstance(exc, drf.APIException):
        set_rollback()
        return _drf_problem(exc)
    if isinstance(exc, DEPENDENCY_ERRORS):
        response = dependency_problem(exc)
        if response is not None:
            set_rollback()
            return response
    return None  # a bug: Django's 500 handler answers without a stack trace


def problem_json(exc: domain.DomainError) -> JsonResponse:
    """The problem+json answer to a domain error, for plain Django views (no DRF)."""
    status = _status_of(exc)
    response = plain_problem(status, exc.code, exc.title, exc.detail)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def with_problem_responses(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """Turns domain errors and unreachable dependencies raised by a plain Django view into
    problem+json answers, as the DRF exception handler does for DRF views."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(*args, **kwargs)
        except domain.DomainError as exc:
            return problem_json(exc)
        except DEPENDENCY_ERRORS as exc:
            error = dependency_error(exc)
            if error is None:
                raise
            return problem_json(error)

    return wrapped


def plain_problem(status: int, code: str, title: str, detail: str) -> JsonResponse:
    return JsonResponse(
        problem_body(status=status, code=code, title=title, detail=detail),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def not_found_view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return plain_problem(404, "not_found", "Not found", "There is nothing at this address.")


def server_error_view(request: HttpRequest) -> HttpResponse:
    return plain_problem(
        500, "internal_error", "Internal error", "Something went wrong on our side."
    )
