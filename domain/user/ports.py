from typing import Protocol

from domain.user.model import LedgerEntry, LedgerKind


class WalletLedger(Protocol):
    """Moves points in and out of wallets, each move with its ledger entry. Inside the
    caller's unit of work: the balance and its entry commit together."""

    def credit(self, *, user_id: int, amount: int, kind: LedgerKind, reference: str) -> LedgerEntry:
        """Adds points; raises WalletNotFound."""
        ...

    def debit(self, *, user_id: int, amount: int, kind: LedgerKind, reference: str) -> LedgerEntry:
        """Takes points only if the balance covers them; raises InsufficientBalance otherwise."""
        ...

    def debit_locked(
        self, *, user_id: int, amount: int, balance: int, kind: LedgerKind, reference: str
    ) -> LedgerEntry:
        """A debit from a wallet whose row this unit of work has already locked and whose
        `balance` it read (one statement fewer). Raises InsufficientBalance."""
        ...


class Accounts(Protocol):
    def create(self, *, username: str, password: str) -> int:
        """Creates the account with an empty wallet; raises UsernameTaken. Returns the id."""
        ...
