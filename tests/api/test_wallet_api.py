from typing import Any

import pytest

from apps.user.models import WalletRecord
from domain.user.model import MAX_CHARGE
from tests.api.test_auth_api import assert_problem
from tests.conftest import Fan

pytestmark = pytest.mark.django_db


def test_charge_adds_points_and_records_a_transaction(fan: Fan) -> None:
    client = fan.client()
    first = client.post("/api/v1/me/wallet/charges", {"amount": 5000}, format="json")
    assert first.status_code == 201
    second = client.post("/api/v1/me/wallet/charges", {"amount": MAX_CHARGE}, format="json")
    assert second.json()["balance"] == 5000 + MAX_CHARGE
    assert second.json()["transaction_id"] > first.json()["transaction_id"]
    assert client.get("/api/v1/me/wallet").json() == {"balance": 5000 + MAX_CHARGE}

    listed = client.get("/api/v1/me/wallet/transactions").json()
    assert [(t["kind"], t["amount"], t["balance_after"]) for t in listed["results"]] == [
        ("charge", MAX_CHARGE, 5000 + MAX_CHARGE),
        ("charge", 5000, 5000),
    ]
    assert listed["next"] is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"amount": 0},
        {"amount": -100},
        {"amount": MAX_CHARGE + 1},
        {"amount": "100"},
        {"amount": 1.5},
        {"amount": True},
        {"amount": None},
        {"amount": 10**30},
        ["amount"],
    ],
)
def test_bad_amounts_are_refused_and_change_nothing(fan: Fan, body: Any) -> None:
    response = fan.client().post("/api/v1/me/wallet/charges", body, format="json")
    assert_problem(response, 400, "invalid_amount")
    assert WalletRecord.objects.get(user_id=fan.id).balance == 0


def test_transactions_page_with_a_cursor_and_stay_private(fan: Fan, make_fan: Any) -> None:
    client = fan.client()
    for amount in range(1, 6):
        client.post("/api/v1/me/wallet/charges", {"amount": amount}, format="json")
    make_fan().client().post("/api/v1/me/wallet/charges", {"amount": 999}, format="json")

    seen = []
    page = client.get("/api/v1/me/wallet/transactions?limit=2").json()
    while True:
        seen += [t["amount"] for t in page["results"]]
        if not page["next"]:
            break
        page = client.get(page["next"]).json()
    assert seen == [5, 4, 3, 2, 1]


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=abc", "cursor=%%%", "cursor=YWJj"]
)
def test_bad_paging_parameters_are_refused(fan: Fan, query: str) -> None:
    response = fan.client().get(f"/api/v1/me/wallet/transactions?{query}")
    assert_problem(response, 400, "invalid")
