"""Fans and their point wallets.

A wallet's balance only changes together with an append-only ledger entry, so that at any
moment balance == sum of the wallet's signed ledger amounts (docs/ARCHITECTURE.md, "Invariants").
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.errors import Conflict, InvalidInput, NotFound, PaymentRequired

MIN_CHARGE = 1
MAX_CHARGE = 10_000_000


class LedgerKind(StrEnum):
    CHARGE = "charge"
    PAYMENT = "payment"
    REFUND = "refund"

    @property
    def sign(self) -> int:
        """Charges and refunds add points; payments take them away."""
        return -1 if self is LedgerKind.PAYMENT else 1


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: int
    user_id: int
    kind: LedgerKind
    amount: int
    balance_after: int
    reference: str
    created_at: datetime

    @property
    def signed_amount(self) -> int:
        return self.kind.sign * self.amount


class InvalidAmount(InvalidInput):
    code = "invalid_amount"
    title = "Invalid amount"


class InsufficientBalance(PaymentRequired):
    code = "insufficient_balance"
    title = "Not enough points"


class WalletNotFound(NotFound):
    code = "not_found"
    title = "Wallet not found"


class UsernameTaken(Conflict):
    code = "username_taken"
    title = "Username already taken"


def checked_charge_amount(amount: object) -> int:
    """The amount of a charge, if it is a whole number of points within the allowed range."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidAmount("amount must be a whole number of points")
    if not MIN_CHARGE <= amount <= MAX_CHARGE:
        raise InvalidAmount(f"amount must be between {MIN_CHARGE} and {MAX_CHARGE:,} points")
    return amount


def checked_debit_amount(amount: int) -> int:
    if amount <= 0:
        raise InvalidAmount("a debit must be a positive number of points")
    return amount
