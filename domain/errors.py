"""The one base of every error the domain raises on purpose.

Each error has a stable `code` that clients can rely on, and belongs to one category; the
API layer maps categories to HTTP statuses (docs/ERRORS.md), the domain never does.
"""

from typing import ClassVar


class DomainError(Exception):
    code: ClassVar[str] = "domain_error"
    title: ClassVar[str] = "The request cannot be carried out"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title


class NotFound(DomainError):
    code = "not_found"
    title = "Not found"


class InvalidInput(DomainError):
    """The request is malformed or out of range (400)."""

    code = "invalid"
    title = "Invalid input"


class Unprocessable(DomainError):
    """The request is well formed but contradicts an earlier one (422)."""

    code = "unprocessable"
    title = "Unprocessable request"


class Conflict(DomainError):
    """The current state forbids it; `retry_after` is set when trying again may succeed."""

    code = "conflict"
    title = "Conflict"
    retry_after: int | None = None


class Unauthenticated(DomainError):
    """Who is asking is unknown or not proven (401)."""

    code = "unauthenticated"
    title = "Authentication failed"


class PaymentRequired(DomainError):
    code = "payment_required"
    title = "Payment required"


class Forbidden(DomainError):
    code = "forbidden"
    title = "Forbidden"


class RateLimited(DomainError):
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class DependencyUnavailable(DomainError):
    code = "service_unavailable"
    title = "A service this request needs is unavailable"

    def __init__(self, detail: str | None = None, *, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
