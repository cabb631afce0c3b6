"""Idempotency-Key at the HTTP boundary: the first final answer to a key is stored and
replayed; the same key with another body is 422.

A payment stores its answer in its own transaction (adapters/payment/orm.py), so a second
request with the same key waits for the first on the reservation's row lock and then gets
its answer. A final refusal (hold expired, not enough points) is stored here. A transient
one (not admitted, a lock timeout, a dependency down) is not, so the client's retry with
the same key runs again. Any refusal is first checked against the key's stored answer: a
retry of a payment that succeeded (and so gave the waiting-room slot back) gets its receipt,
not 403.
"""

from datetime import UTC, datetime

from rest_framework.response import Response

from apps.http.problems import PROBLEM_CONTENT_TYPE, domain_problem
from domain.errors import DependencyUnavailable, DomainError, Forbidden
from domain.payment.model import IdempotencyClaim, IdempotencyKeyReused, StoredAnswer
from domain.payment.ports import IdempotencyStore

REPLAY_HEADER = "Idempotent-Replayed"


def _transient(exc: DomainError) -> bool:
    """Answers that may change on retry: not admitted yet, busy, a dependency down."""
    return (
        isinstance(exc, DependencyUnavailable | Forbidden)
        or getattr(exc, "retry_after", None) is not None
    )


def replay(answer: StoredAnswer) -> Response:
    content_type = PROBLEM_CONTENT_TYPE if answer.status >= 400 else None
    return Response(
        answer.body,
        status=answer.status,
        headers={REPLAY_HEADER: "true"},
        content_type=content_type,
    )


def refusal(store: IdempotencyStore, claim: IdempotencyClaim, exc: DomainError) -> Response:
    """The answer to a request with `claim` that was refused with `exc`."""
    if isinstance(exc, IdempotencyKeyReused):
        return domain_problem(exc)
    now = datetime.now(UTC)
    try:
        stored = store.stored(claim, now=now)
        if stored is not None:
            return replay(stored.for_claim(claim))
        response = domain_problem(exc)
        if _transient(exc):
            return response
        first = store.record(claim, StoredAnswer(response.status_code, response.data), now=now)
    except DomainError as other:
        return domain_problem(other)
    return response if first.body == response.data else replay(first.for_claim(claim))
