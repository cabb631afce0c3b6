"""Builds the user module's use cases, once per process."""

from datetime import timedelta
from functools import cache

from django.conf import settings
from django_redis import get_redis_connection

from adapters.transactions import DatabaseUnitOfWork
from adapters.user.orm import OrmAccounts, OrmWalletLedger
from adapters.user.revocation import RedisTokenRevocations
from domain.user.usecases import ChargeWallet, RegisterFan


@cache
def wallet_ledger() -> OrmWalletLedger:
    return OrmWalletLedger()


@cache
def register_fan() -> RegisterFan:
    return RegisterFan(accounts=OrmAccounts())


@cache
def charge_wallet() -> ChargeWallet:
    return ChargeWallet(ledger=wallet_ledger(), uow=DatabaseUnitOfWork())


@cache
def token_revocations() -> RedisTokenRevocations:
    """The revocation marks, on the shared Redis cache. A mark can stop being kept once
    every access token it could refuse has expired."""
    lifetime: timedelta = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]  # type: ignore[assignment]
    return RedisTokenRevocations(
        get_redis_connection("default"), keep_seconds=lifetime.total_seconds() + 60
    )
