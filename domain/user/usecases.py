from dataclasses import dataclass

from domain.unit_of_work import UnitOfWork
from domain.user.model import LedgerEntry, LedgerKind, checked_charge_amount
from domain.user.ports import Accounts, WalletLedger


@dataclass(frozen=True, kw_only=True)
class RegisterFan:
    """Creates a fan account with an empty wallet, or raises UsernameTaken."""

    accounts: Accounts

    def __call__(self, *, username: str, password: str) -> int:
        return self.accounts.create(username=username, password=password)


@dataclass(frozen=True, kw_only=True)
class ChargeWallet:
    """Adds points to a fan's wallet.

    Guarantees: the amount is within range; the balance and its ledger entry change together;
    concurrent charges never lose one another (the store adds in one conditional UPDATE).
    """

    ledger: WalletLedger
    uow: UnitOfWork

    def __call__(self, *, user_id: int, amount: int, reference: str = "") -> LedgerEntry:
        points = checked_charge_amount(amount)
        return self.uow.run(
            lambda: self.ledger.credit(
                user_id=user_id, amount=points, kind=LedgerKind.CHARGE, reference=reference
            )
        )
