"""The README's quick start, against a real granian server on the test database."""

import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from apps.concert.models import ScheduleRecord
from tests.e2e.granian import running_granian

ROOT = Path(__file__).resolve().parents[2]
GRANIAN = Path(sys.executable).parent / "granian"


@pytest.fixture
def server(transactional_db: None) -> Iterator[str]:
    # One Python thread: tests/e2e/test_slow_clients.py shows it is not held by clients that
    # never finish their request.
    with running_granian(workers=1, threads=1) as address:
        yield f"http://{address}"


def call(
    method: str,
    url: str,
    body: Any = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_sign_up_token_charge_balance_concerts_seat_map_queue(
    server: str, make_schedule: Callable[..., ScheduleRecord]
) -> None:
    schedule = make_schedule(seats=12)
    api = f"{server}/api/v1"
    credentials = {"username": "mina", "password": "blue-moon-42"}
    assert call("POST", f"{api}/users", credentials)[0] == 201
    status, tokens = call("POST", f"{api}/auth/token", credentials)
    assert status == 200
    token = tokens["access"]

    status, charged = call("POST", f"{api}/me/wallet/charges", {"amount": 300000}, token)
    assert (status, charged["balance"]) == (201, 300000)
    assert call("GET", f"{api}/me/wallet", token=token) == (200, {"balance": 300000})
    assert call("GET", f"{api}/me/wallet/transactions", token=token)[1]["results"][0]["kind"] == (
        "charge"
    )

    status, concerts = call("GET", f"{api}/concerts")
    assert status == 200 and concerts["results"][0]["id"] == schedule.concert_id
    status, concert = call("GET", f"{api}/concerts/{schedule.concert_id}")
    assert concert["schedules"][0]["seats_available"] == 12
    status, seats = call("GET", f"{api}/schedules/{schedule.id}/seats")
    assert status == 200 and len(seats["seats"]) == 12

    status, place = call("POST", f"{api}/schedules/{schedule.id}/queue", token=token)
    assert (status, place["status"]) == (201, "admitted") and place["access_token"]
    assert call("GET", f"{api}/schedules/{schedule.id}/queue", token=token)[1]["position"] == 0

    access = place["access_token"]
    seat_ids = [seat["id"] for seat in seats["seats"][:2]]
    status, held = call(
        "POST",
        f"{api}/reservations",
        {"schedule_id": schedule.id, "seat_ids": seat_ids},
        token,
        headers={"X-Access-Token": access},
    )
    assert (status, held["status"], held["amount"]) == (201, "held", 2000)
    status, paid = call(
        "POST",
        f"{api}/payments",
        {"reservation_id": held["id"]},
        token,
        headers={"X-Access-Token": access, "Idempotency-Key": "my-first-order"},
    )
    assert (status, paid["balance_after"]) == (201, 298000)
    status, cancelled = call("DELETE", f"{api}/reservations/{held['id']}", token=token)
    assert (status, cancelled["refund"]) == (200, 2000)

    status, problem = call("POST", f"{api}/me/wallet/charges", {"amount": -1}, token)
    assert (status, problem["code"]) == (400, "invalid_amount")
