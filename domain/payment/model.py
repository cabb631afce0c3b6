"""Paying for a hold with points, exactly once per idempotency key."""

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.errors import Conflict, InvalidInput, Unprocessable

MAX_IDEMPOTENCY_KEY_LENGTH = 255


class PaymentStatus(StrEnum):
    SUCCEEDED = "succeeded"
    REFUNDED = "refunded"


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentReceipt:
    id: int
    reservation_id: int
    amount: int
    balance_after: int
    status: PaymentStatus = PaymentStatus.SUCCEEDED
    seat_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    """A fan's Idempotency-Key and the fingerprint of the request it came with."""

    user_id: int
    key: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """The first final answer given to an idempotency key, replayed for later requests."""

    status: int
    body: Any
    fingerprint: str = ""

    def for_claim(self, claim: IdempotencyClaim) -> "StoredAnswer":
        """This answer, if it was given to the same request; IdempotencyKeyReused if not."""
        if self.fingerprint != claim.fingerprint:
            raise IdempotencyKeyReused("this key was used with another request")
        return self


class ReservationExpired(Conflict):
    code = "reservation_expired"
    title = "The hold expired before the payment; no points were taken"


class AlreadyPaid(Conflict):
    code = "already_paid"
    title = "This reservation is already paid"


class NotPayable(Conflict):
    code = "not_payable"
    title = "This reservation cannot be paid"


class IdempotencyInFlight(Conflict):
    code = "idempotency_in_flight"
    title = "A request with this Idempotency-Key is still being processed"
    retry_after = 1


class IdempotencyKeyReused(Unprocessable):
    code = "idempotency_key_reused"
    title = "This Idempotency-Key was used with a different request"


class InvalidIdempotencyKey(InvalidInput):
    code = "invalid_idempotency_key"
    title = "Idempotency-Key header missing or too long"


def checked_idempotency_key(key: str | None) -> str:
    if not key or not key.strip() or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise InvalidIdempotencyKey(
            f"send an Idempotency-Key header of 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters"
        )
    return key


def fingerprint(request: dict[str, Any]) -> str:
    """The same request body gives the same fingerprint, whatever its key order."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
