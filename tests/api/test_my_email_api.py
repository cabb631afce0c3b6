"""Where a fan's ticket mails go: GET and PUT /api/v1/me/email."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.api.test_auth_api import assert_problem
from tests.conftest import Fan

pytestmark = pytest.mark.django_db


def test_a_fan_sets_reads_and_clears_the_address(fan: Fan) -> None:
    api = fan.client()
    assert api.get("/api/v1/me/email").json() == {"email": ""}
    answer = api.put("/api/v1/me/email", {"email": "mina@example.com"}, format="json")
    assert (answer.status_code, answer.json()) == (200, {"email": "mina@example.com"})
    assert get_user_model().objects.get(id=fan.id).email == "mina@example.com"
    assert api.get("/api/v1/me/email").json() == {"email": "mina@example.com"}
    assert api.put("/api/v1/me/email", {"email": ""}, format="json").json() == {"email": ""}


def test_not_an_address_is_refused(fan: Fan) -> None:
    body = assert_problem(
        fan.client().put("/api/v1/me/email", {"email": "not-an-address"}, format="json"),
        400,
        "invalid",
    )
    assert "email" in body["errors"]


def test_it_needs_a_signed_in_fan(anonymous: APIClient) -> None:
    assert_problem(anonymous.get("/api/v1/me/email"), 401, "not_authenticated")
    assert_problem(
        anonymous.put("/api/v1/me/email", {"email": "a@example.com"}, format="json"),
        401,
        "not_authenticated",
    )
