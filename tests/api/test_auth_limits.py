"""Sign-up, sign-in and token refresh are throttled per address and per username; the
admin sign-in locks an account out after repeated failures; the client address is the one
the trusted proxies saw, not what the client wrote into X-Forwarded-For."""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from apps.http.client_address import client_address
from tests.api.test_auth_api import assert_problem
from tests.conftest import Fan

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_limits(settings: Any) -> Any:
    settings.AUTH_THROTTLE_RATES = {"auth_address": "6/min", "auth_username": "3/min"}
    return settings


def sign_in(client: APIClient, username: str, password: str, address: str) -> Any:
    return client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=address,
    )


def test_guessing_one_password_from_many_addresses_is_stopped(
    low_limits: Any, anonymous: APIClient, fan: Fan
) -> None:
    for n in range(3):
        assert_problem(
            sign_in(anonymous, fan.username, "wrong", f"10.0.0.{n}"), 401, "bad_credentials"
        )
    limited = sign_in(anonymous, fan.username, fan.password, "10.0.0.9")
    assert_problem(limited, 429, "rate_limited")
    assert int(limited["Retry-After"]) >= 1
    # Another name is not held back by it.
    assert sign_in(anonymous, "someone-else", "wrong", "10.0.0.9").status_code == 401


def test_one_address_gets_a_few_tries_across_names(low_limits: Any, anonymous: APIClient) -> None:
    for n in range(6):
        assert sign_in(anonymous, f"name-{n}", "wrong", "10.1.1.1").status_code == 401
    assert_problem(sign_in(anonymous, "name-7", "wrong", "10.1.1.1"), 429, "rate_limited")
    sign_up = anonymous.post(
        "/api/v1/users",
        {"username": "fresh-fan", "password": "blue-moon-42"},
        format="json",
        REMOTE_ADDR="10.1.1.1",
    )
    assert_problem(sign_up, 429, "rate_limited")
    refresh = anonymous.post(
        "/api/v1/auth/token/refresh", {"refresh": "x"}, format="json", REMOTE_ADDR="10.1.1.1"
    )
    assert_problem(refresh, 429, "rate_limited")
    assert sign_in(anonymous, "name-7", "wrong", "10.2.2.2").status_code == 401  # elsewhere


def test_the_admin_locks_an_account_out_after_repeated_failures(settings: Any) -> None:
    settings.ADMIN_LOGIN_FAILURES = 3
    get_user_model().objects.create_user("boss", password="right-pass-123", is_staff=True)
    browser = Client()

    def log_in(password: str) -> Any:
        return browser.post(
            "/admin/login/?next=/admin/", {"username": "boss", "password": password}
        )

    assert log_in("right-pass-123").status_code == 302  # a success clears nothing to clear
    browser.logout()
    for _ in range(3):
        assert b"Please enter the correct" in log_in("wrong").content
    locked = log_in("right-pass-123")  # even the right password, while locked
    assert locked.status_code == 200 and b"Too many failed sign-ins" in locked.content
    assert "_auth_user_id" not in browser.session


@pytest.mark.parametrize(
    ("header", "proxies", "meta", "expected"),
    [
        ("REMOTE_ADDR", 1, {"REMOTE_ADDR": "192.0.2.1"}, "192.0.2.1"),
        ("HTTP_X_REAL_IP", 1, {"HTTP_X_REAL_IP": "198.51.100.7"}, "198.51.100.7"),
        # The client wrote the left part; the one proxy appended the address it saw.
        (
            "HTTP_X_FORWARDED_FOR",
            1,
            {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.7"},
            "198.51.100.7",
        ),
        (
            "HTTP_X_FORWARDED_FOR",
            2,
            {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.7, 10.0.0.2"},
            "198.51.100.7",
        ),
        ("HTTP_X_FORWARDED_FOR", 1, {"REMOTE_ADDR": "192.0.2.1"}, "192.0.2.1"),
    ],
)
def test_the_client_address_is_what_the_trusted_proxies_saw(
    settings: Any, header: str, proxies: int, meta: dict[str, str], expected: str
) -> None:
    settings.QUEUE_CLIENT_IP_HEADER, settings.CLIENT_IP_TRUSTED_PROXIES = header, proxies
    request = RequestFactory().get("/", **meta)
    if "REMOTE_ADDR" not in meta:
        request.META.pop("REMOTE_ADDR", None)
    assert client_address(request) == expected
