import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.conftest import Fan

pytestmark = pytest.mark.django_db


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = json.loads(response.content)
    assert body["code"] == code
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def test_sign_up_then_get_and_refresh_a_token(anonymous: APIClient) -> None:
    created = anonymous.post(
        "/api/v1/users", {"username": "mina", "password": "blue-moon-42"}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["username"] == "mina" and created.json()["id"] > 0

    token = anonymous.post(
        "/api/v1/auth/token", {"username": "mina", "password": "blue-moon-42"}, format="json"
    )
    assert token.status_code == 200
    refreshed = anonymous.post(
        "/api/v1/auth/token/refresh", {"refresh": token.json()["refresh"]}, format="json"
    )
    assert refreshed.status_code == 200

    anonymous.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}")
    assert anonymous.get("/api/v1/me/wallet").json() == {"balance": 0}


def test_a_taken_username_is_a_conflict(anonymous: APIClient, fan: Fan) -> None:
    response = anonymous.post(
        "/api/v1/users", {"username": fan.username, "password": "another-pass-9"}, format="json"
    )
    assert_problem(response, 409, "username_taken")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "ab", "password": "long-enough-1"},
        {"username": "has space", "password": "long-enough-1"},
        {"username": "x" * 151, "password": "long-enough-1"},
        {"username": "valid_name", "password": "short"},
        {"username": "valid_name", "password": "password"},
        {"username": "valid_name", "password": "12345678901"},
        {"username": 12345, "password": ["not", "a", "string"]},
        [1, 2, 3],
    ],
)
def test_bad_sign_ups_are_refused_with_field_errors(anonymous: APIClient, body: Any) -> None:
    problem = assert_problem(anonymous.post("/api/v1/users", body, format="json"), 400, "invalid")
    assert problem["errors"]


def test_malformed_json_is_a_400(anonymous: APIClient) -> None:
    response = anonymous.post("/api/v1/users", "{not json", content_type="application/json")
    assert_problem(response, 400, "malformed_request")


def test_wrong_password_is_bad_credentials(anonymous: APIClient, fan: Fan) -> None:
    for body in (
        {"username": fan.username, "password": "wrong-one-11"},
        {"username": "nobody-here", "password": "whatever-11"},
    ):
        assert_problem(
            anonymous.post("/api/v1/auth/token", body, format="json"), 401, "bad_credentials"
        )
    assert_problem(anonymous.post("/api/v1/auth/token", {}, format="json"), 400, "invalid")


def test_a_bad_refresh_token_is_refused(anonymous: APIClient, fan: Fan) -> None:
    response = anonymous.post("/api/v1/auth/token/refresh", {"refresh": "garbage"}, format="json")
    assert_problem(response, 401, "token_invalid")
    # An access token is not a refresh token.
    response = anonymous.post("/api/v1/auth/token/refresh", {"refresh": fan.access}, format="json")
    assert_problem(response, 401, "token_invalid")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/me/wallet", "/api/v1/me/wallet/transactions"],
)
def test_private_endpoints_need_a_valid_token(anonymous: APIClient, path: str) -> None:
    assert_problem(anonymous.get(path), 401, "not_authenticated")
    anonymous.credentials(HTTP_AUTHORIZATION="Bearer eyJhbGciOiJIUzI1NiJ9.e30.forged")
    assert_problem(anonymous.get(path), 401, "token_invalid")
