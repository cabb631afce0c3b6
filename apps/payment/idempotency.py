"""Idempotency-Key at the HTTP boundary: the first response to a key is stored and
replayed; the same key with another body is 422; while the first runs, 409.

Only final answers are stored. A transient failure (not admitted, a lock timeout, a
dependency down) gives the key back, so the client's retry with the same key runs the
request again.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rest_framework.response import Response

from apps.http.problems import PROBLEM_CONTENT_TYPE, domain_problem
from domain.errors import DependencyUnavailable, DomainError, Forbidden
from domain.payment.model import fingerprint
from domain.payment.ports import IdempotencyStore

REPLAY_HEADER = "Idempotent-Replayed"


def _transient(exc: DomainError) -> bool:
    """Answers that may change on retry: not admitted yet, busy, a dependency down."""
    return (
        isinstance(exc, DependencyUnavailable | Forbidden)
        or getattr(exc, "retry_after", None) is not None
    )


def idempotent(
    *,
    store: IdempotencyStore,
    user_id: int,
    key: str,
    request_body: dict[str, Any],
    run: Callable[[], Response],
) -> Response:
    stored = store.begin(
        user_id=user_id, key=key, fingerprint=fingerprint(request_body), now=datetime.now(UTC)
    )
    if stored is not None:
        status, body = stored
        content_type = PROBLEM_CONTENT_TYPE if status >= 400 else None
        return Response(
            body, status=status, headers={REPLAY_HEADER: "true"}, content_type=content_type
        )
    try:
        response = run()
    except DomainError as exc:
        response = domain_problem(exc)
        if _transient(exc):
            store.abandon(user_id=user_id, key=key)
            return response
    except BaseException:
        store.abandon(user_id=user_id, key=key)
        raise
    store.finish(user_id=user_id, key=key, status=response.status_code, body=response.data)
    return response
