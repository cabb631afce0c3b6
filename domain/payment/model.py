"""Paying for a hold with points, exactly once per idempotency key."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.errors import Conflict, InvalidInput, Unprocessable
from domain.queue.model import NotAdmitted
from domain.reservation.model import NotCancellable, Reservation, ReservationStatus
from domain.user.model import WalletNotFound

MAX_IDEMPOTENCY_KEY_LENGTH = 255
# How long a key's answer is replayed; after that the key may be used afresh.
IDEMPOTENCY_TTL = timedelta(hours=24)


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


def answer_stored_first(stored: StoredAnswer | None) -> StoredAnswer:
    """Another request with the same key stored its answer first: that answer, or
    IdempotencyInFlight while the first request has not committed one yet."""
    if stored is None:
        raise IdempotencyInFlight("the first request with this key is running")
    return stored


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


class KeyAnsweredMeanwhile(Exception):
    """The key got its answer from a request that committed first (the same key on another
    reservation, or a refusal stored meanwhile): this payment rolls back and that answer is
    replayed. Raised by the store that writes answers; never reaches a client."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentTerms:
    """What a payment decides on, read and locked in the payment's transaction: the fan's
    reservation, the wallet's balance (None: no wallet) and the key's stored answer."""

    reservation: Reservation
    balance: int | None
    answer: StoredAnswer | None = None
    answered_at: datetime | None = None

    def replay(self, claim: IdempotencyClaim, *, now: datetime) -> StoredAnswer | None:
        """The answer this key already has, if it is still fresh."""
        if self.answer is None or not self.answer_is_fresh(now):
            return None
        return self.answer.for_claim(claim)

    def answer_is_fresh(self, now: datetime) -> bool:
        return self.answered_at is not None and self.answered_at >= now - IDEMPOTENCY_TTL

    def check_payable(self, *, schedule_id: int, now: datetime) -> int:
        """The balance to debit from, if this hold can be paid now through an access token
        of `schedule_id`. Raises NotAdmitted, AlreadyPaid, ReservationExpired (before any
        point moves), NotPayable or WalletNotFound."""
        reservation = self.reservation
        if reservation.schedule_id != schedule_id:
            raise NotAdmitted("the access token is for another schedule")
        status = reservation.status_at(now)
        if status is ReservationStatus.CONFIRMED:
            raise AlreadyPaid(f"reservation {reservation.id} is already paid")
        if status is ReservationStatus.EXPIRED:
            raise ReservationExpired(f"the hold on reservation {reservation.id} expired")
        if status is not ReservationStatus.HELD:
            raise NotPayable(f"reservation {reservation.id} is {status}")
        if self.balance is None:
            raise WalletNotFound(f"user {reservation.user_id} has no wallet")
        return self.balance


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundWindow:
    """A fan may have a purchase refunded until `refund_until`, or until the show starts
    when the show sets no earlier time. An operator's cancellation of the show refunds
    whatever the time."""

    starts_at: datetime
    refund_until: datetime | None = None

    @property
    def closes_at(self) -> datetime:
        return self.refund_until or self.starts_at

    def check(self, *, now: datetime, by_operator: bool) -> None:
        if not by_operator and now >= self.closes_at:
            raise NotCancellable("the refund window of this show has closed")
