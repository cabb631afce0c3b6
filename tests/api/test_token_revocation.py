"""Tokens die with the account: deactivating a fan, changing the password or deleting the
account ends its access and refresh tokens; refresh tokens rotate and work once."""

import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from adapters.user.revocation import KEY, RedisTokenRevocations
from tests.api.test_auth_api import assert_problem
from tests.conftest import Fan

pytestmark = pytest.mark.django_db(transaction=True)


def wallet(access: str) -> Any:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get("/api/v1/me/wallet")


def my_reservations(access: str) -> Any:
    """A booking endpoint: the bearer check that loads no user."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get("/api/v1/me/reservations")


def refresh(token: str) -> Any:
    return APIClient().post("/api/v1/auth/token/refresh", {"refresh": token}, format="json")


def test_a_deactivated_fan_is_signed_out_at_once(fan: Fan) -> None:
    assert wallet(fan.access).status_code == 200
    assert my_reservations(fan.access).status_code == 200
    user = get_user_model().objects.get(pk=fan.id)
    user.is_active = False
    user.save()
    assert_problem(wallet(fan.access), 401, "token_invalid")
    assert_problem(my_reservations(fan.access), 401, "token_invalid")
    assert_problem(refresh(fan.refresh), 401, "token_invalid")


def test_a_new_password_ends_every_earlier_token(fan: Fan, anonymous: APIClient) -> None:
    user = get_user_model().objects.get(pk=fan.id)
    user.set_password("a-new-secret-456")
    user.save()
    assert_problem(my_reservations(fan.access), 401, "token_invalid")
    assert_problem(refresh(fan.refresh), 401, "token_invalid")
    time.sleep(1.1)  # tokens carry whole seconds: the next second's token is a new one
    fresh = anonymous.post(
        "/api/v1/auth/token",
        {"username": fan.username, "password": "a-new-secret-456"},
        format="json",
    ).json()
    assert my_reservations(fresh["access"]).status_code == 200


def test_a_refresh_token_rotates_and_works_once(fan: Fan) -> None:
    first = refresh(fan.refresh)
    assert first.status_code == 200, first.content
    assert set(first.json()) == {"access", "refresh"} and first.json()["refresh"] != fan.refresh
    assert_problem(refresh(fan.refresh), 401, "token_invalid")  # used up
    assert refresh(first.json()["refresh"]).status_code == 200


def test_refreshing_for_a_deleted_account_is_a_401(fan: Fan) -> None:
    get_user_model().objects.filter(pk=fan.id).delete()
    assert_problem(refresh(fan.refresh), 401, "token_invalid")
    assert_problem(my_reservations(fan.access), 401, "token_invalid")


def test_other_processes_see_a_revocation_within_their_refresh() -> None:
    client = get_redis_connection("default")
    client.delete(KEY)
    here = RedisTokenRevocations(client, keep_seconds=900)
    there = RedisTokenRevocations(client, keep_seconds=900, refresh_seconds=0)
    assert not there.is_revoked(7, issued_at_s=time.time())
    here.revoke(7, at_s=time.time())
    assert there.is_revoked(7, issued_at_s=time.time() - 5)
    assert not there.is_revoked(7, issued_at_s=time.time() + 5)  # issued after the mark
    assert not there.is_revoked(8, issued_at_s=0)
    here.revoke(9, at_s=time.time() + 10_000)  # marks older than a token's life go
    assert client.hkeys(KEY) == [b"9"]
