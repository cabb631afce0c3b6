"""OpenAPI naming for views that nest their own InputSerializer and OutputSerializer."""

import re
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class NestedSerializerSchema(AutoSchema):
    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        # SignUpView.OutputSerializer → SignUpOutputSerializer: every view has an
        # "OutputSerializer", so the class name alone would collide.
        parts = type(serializer).__qualname__.split(".")
        return "".join(part.removesuffix("View").removesuffix("Serializer") for part in parts)

    def get_operation_id(self) -> str:
        name = type(self.view).__name__.removesuffix("View")
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
        return f"{snake}_{self.method.lower()}"


class CachedBearerScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """The booking endpoints take the same bearer JWT (apps.http.bearer)."""

    target_class = "apps.http.bearer.CachedBearerAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {"description": "messages per field, when input failed validation"},
    },
}


def problem(description: str) -> dict[str, Any]:
    """An error response: application/problem+json (docs/ERRORS.md)."""
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


# What each endpoint may answer besides success, by (method, path); docs/ERRORS.md has the
# codes. Every endpoint may also answer 400 (malformed or invalid input), 413 (body too
# large) and 503 (a dependency down, with Retry-After); signed-in ones 401.
ERRORS: dict[tuple[str, str], dict[str, str]] = {
    ("post", "/api/v1/users"): {"409": "username_taken"},
    ("post", "/api/v1/auth/token"): {"401": "bad_credentials"},
    ("post", "/api/v1/auth/token/refresh"): {"401": "token_invalid"},
    ("get", "/api/v1/concerts/{concert_id}"): {"404": "not_found"},
    ("get", "/api/v1/concerts/{concert_id}/schedules"): {"404": "not_found"},
    ("get", "/api/v1/schedules/{schedule_id}"): {"404": "not_found"},
    ("get", "/api/v1/schedules/{schedule_id}/seats"): {"404": "not_found"},
    ("get", "/api/v1/schedules/{schedule_id}/seats/statuses"): {"404": "not_found"},
    ("post", "/api/v1/reservations"): {
        "403": "not_admitted",
        "409": "seat_unavailable, or lock_timeout with Retry-After",
        "429": "rate_limited, with Retry-After",
    },
    ("get", "/api/v1/reservations/{reservation_id}"): {"404": "not_found"},
    ("delete", "/api/v1/reservations/{reservation_id}"): {
        "404": "not_found",
        "409": "not cancellable now (see docs/ERRORS.md), or lock_timeout",
    },
    ("post", "/api/v1/payments"): {
        "402": "insufficient_balance",
        "403": "not_admitted",
        "404": "not_found",
        "409": "already_paid, reservation_expired, idempotency key in flight, lock_timeout",
        "422": "idempotency_key_reused",
    },
    ("delete", "/api/v1/schedules/{schedule_id}/queue"): {"404": "not_found"},
}


def add_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: declares every operation's error answers."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            errors = {
                "400": "malformed_request or invalid (see `errors`)",
                "413": "body_too_large",
                "503": "a dependency is unavailable, with Retry-After",
                **ERRORS.get((method, path), {}),
            }
            if operation.get("security") and {} not in operation["security"]:
                errors.setdefault("401", "not_authenticated or token_invalid")
            for status, description in errors.items():
                responses.setdefault(status, problem(description))
    return result


class RevocableJWTScheme(CachedBearerScheme):  # type: ignore[no-untyped-call]
    """The other endpoints: simplejwt's check, with revocation (apps.http.bearer)."""

    target_class = "apps.http.bearer.RevocableJWTAuthentication"
    name = "jwtAuth"  # as drf-spectacular names simplejwt's own
