import pytest

from domain.user.model import (
    MAX_CHARGE,
    InvalidAmount,
    LedgerKind,
    UsernameTaken,
    checked_charge_amount,
)
from domain.user.usecases import ChargeWallet, RegisterFan
from tests.fakes import FakeUnitOfWork, FakeWallets


def charge_wallet(wallets: FakeWallets) -> ChargeWallet:
    return ChargeWallet(ledger=wallets, uow=FakeUnitOfWork(wallets))


@pytest.mark.parametrize("amount", [1, 500, MAX_CHARGE])
def test_amounts_in_range_are_accepted(amount: int) -> None:
    assert checked_charge_amount(amount) == amount


@pytest.mark.parametrize("amount", [0, -1, MAX_CHARGE + 1, 1.5, "100", None, True])
def test_amounts_out_of_range_or_not_whole_are_refused(amount: object) -> None:
    with pytest.raises(InvalidAmount) as raised:
        checked_charge_amount(amount)
    assert raised.value.code == "invalid_amount"


def test_payments_take_points_and_the_rest_add_them() -> None:
    assert LedgerKind.PAYMENT.sign == -1
    assert LedgerKind.CHARGE.sign == LedgerKind.REFUND.sign == 1


def test_a_charge_adds_to_the_balance_with_a_ledger_entry() -> None:
    ledger = FakeWallets()
    ledger.balances[7] = 0
    charge = charge_wallet(ledger)
    charge(user_id=7, amount=300)
    entry = charge(user_id=7, amount=200, reference="top-up")
    assert entry.balance_after == 500
    assert entry.kind is LedgerKind.CHARGE
    assert sum(e.signed_amount for e in ledger.entries) == ledger.balances[7]


def test_a_refused_charge_leaves_no_trace() -> None:
    ledger = FakeWallets()
    ledger.balances[7] = 0
    with pytest.raises(InvalidAmount):
        charge_wallet(ledger)(user_id=7, amount=0)
    assert ledger.entries == []
    assert ledger.balances == {7: 0}


class FakeAccounts:
    """Usernames are unique, as the database's constraint makes them."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def create(self, *, username: str, password: str) -> int:
        if username in self.ids:
            raise UsernameTaken(f"the username {username} is taken")
        self.ids[username] = len(self.ids) + 1
        return self.ids[username]


def test_a_fan_registers_once_per_username() -> None:
    register = RegisterFan(accounts=FakeAccounts())
    assert register(username="ana", password="long enough password") == 1
    assert register(username="ben", password="long enough password") == 2
    with pytest.raises(UsernameTaken) as raised:
        register(username="ana", password="another password")
    assert raised.value.code == "username_taken"
