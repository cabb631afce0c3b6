from typing import Protocol

from domain.user.model import LedgerEntry, LedgerKind


class WalletLedger(Protocol):
    """Moves points in and out of wallets, each move with its ledger entry, atomically."""

    def credit(self, *, user_id: int, amount: int, kind: LedgerKind, reference: str) -> LedgerEntry:
        """Adds points. Commits with the caller's transaction, or on its own if there is none."""
        ...

    def debit(self, *, user_id: int, amount: int, kind: LedgerKind, reference: str) -> LedgerEntry:
        """Takes points only if the balance covers them; raises InsufficientBalance otherwise."""
        ...


class Accounts(Protocol):
    def create(self, *, username: str, password: str) -> int:
        """Creates the account with an empty wallet; raises UsernameTaken. Returns the id."""
        ...
