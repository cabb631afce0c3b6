"""Who may do what: every endpoint and every kind of caller → the expected status, as one table.

Callers: nobody (anonymous); the owner of the reservation, admitted to schedule A; another
fan; another fan admitted to A; a fan admitted to schedule B; the owner with an expired or a
forged access token; a forged JWT; staff (not admitted). A row's cells run in table order on
one world, and the owner's allowed call comes last, since it may change what it touches.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.concert.models import ScheduleRecord
from apps.queue.wiring import access_tokens
from domain.queue.access import AccessTokens
from tests.conftest import AdmittedFan, Fan

pytestmark = pytest.mark.django_db


@dataclass
class World:
    a: ScheduleRecord
    reservation: int
    free_seats: list[int]
    callers: dict[str, APIClient]


def client(jwt: str | None = None, access: str | None = None) -> APIClient:
    api = APIClient()
    headers = {}
    if jwt:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {jwt}"
    if access:
        headers["HTTP_X_ACCESS_TOKEN"] = access
    api.credentials(**headers)
    return api


@pytest.fixture
def world(
    make_schedule: Callable[..., ScheduleRecord],
    make_fan: Callable[..., Fan],
    admit: Callable[..., AdmittedFan],
) -> World:
    a, b = make_schedule(seats=12), make_schedule(seats=2)
    owner = admit(a)
    seats = list(a.seats.order_by("id").values_list("id", flat=True))
    held = owner.client().post(
        "/api/v1/reservations", {"schedule_id": a.id, "seat_ids": [seats[0]]}, format="json"
    )
    assert held.status_code == 201
    jwt = owner.fan.access
    now_ms = int(time.time() * 1000)
    expired = access_tokens().issue(user_id=owner.fan.id, schedule_id=a.id, expires_ms=now_ms - 1)
    forged = AccessTokens(secret=b"not-the-server-secret").issue(
        user_id=owner.fan.id, schedule_id=a.id, expires_ms=now_ms + 600_000
    )
    staff = get_user_model().objects.create_superuser("staff-1", "s@example.com", "staff-pass-123")
    forged_jwt = jwt[:-4] + ("AAAA" if not jwt.endswith("AAAA") else "BBBB")
    admitted_other = admit(a)
    return World(
        a=a,
        reservation=held.json()["id"],
        free_seats=seats[1:],
        callers={
            "anonymous": client(),
            "forged_jwt": client(forged_jwt, owner.access_token),
            "other_fan": make_fan().client(),
            "admitted_other": admitted_other.client(),
            "admitted_to_b": admit(b).client(),
            "expired_access": client(jwt, expired),
            "forged_access": client(jwt, forged),
            "staff": client(str(RefreshToken.for_user(staff).access_token)),
            "owner": owner.client(),
        },
    )


Body = Callable[[World, int], dict[str, Any]] | None


def request(world: World, method: str, path: str, body: Body) -> Callable[[APIClient, int], Any]:
    """The call for caller number n (each holds a seat of its own, so none is in the way)."""

    def call(api: APIClient, n: int) -> Any:
        target = path.format(a=world.a.id, concert=world.a.concert_id, r=world.reservation)
        extra = {"HTTP_IDEMPOTENCY_KEY": f"matrix-{n}"} if path == "/api/v1/payments" else {}
        data = body(world, n) if body else None
        return getattr(api, method)(target, data, format="json", **extra)

    return call


PUBLIC = {
    "anonymous": 200,
    "forged_jwt": 200,  # public reads do not look at credentials at all
    "other_fan": 200,
    "admitted_other": 200,
    "admitted_to_b": 200,
    "staff": 200,
    "owner": 200,
}


def signed_in(status: int) -> dict[str, int]:
    return {**dict.fromkeys(PUBLIC, status), "anonymous": 401, "forged_jwt": 401}


# (method, path, body) → expected status for each caller. Access-token callers appear only
# where an access token is asked for; elsewhere they are the owner again.
def hold_body(world: World, n: int) -> dict[str, Any]:
    return {"schedule_id": world.a.id, "seat_ids": [world.free_seats[n]]}


def pay_body(world: World, n: int) -> dict[str, Any]:
    return {"reservation_id": world.reservation}


ORDER = [
    "anonymous",
    "forged_jwt",
    "other_fan",
    "admitted_other",
    "admitted_to_b",
    "expired_access",
    "forged_access",
    "staff",
    "owner",
]

MATRIX: list[tuple[str, str, Body, dict[str, int]]] = [
    ("get", "/api/v1/concerts", None, PUBLIC),
    ("get", "/api/v1/concerts/{concert}", None, PUBLIC),
    ("get", "/api/v1/concerts/{concert}/schedules", None, PUBLIC),
    ("get", "/api/v1/concerts/ranking", None, PUBLIC),
    ("get", "/api/v1/schedules/{a}/seats", None, PUBLIC),
    ("get", "/api/v1/schedules/{a}", None, PUBLIC),
    ("get", "/api/v1/me/email", None, signed_in(200)),
    ("put", "/api/v1/me/email", lambda w, n: {"email": f"fan{n}@example.com"}, signed_in(200)),
    ("get", "/api/v1/me/wallet", None, signed_in(200)),
    ("post", "/api/v1/me/wallet/charges", lambda w, n: {"amount": 100}, signed_in(201)),
    ("get", "/api/v1/me/wallet/transactions", None, signed_in(200)),
    ("get", "/api/v1/me/reservations", None, signed_in(200)),
    (
        "get",
        "/api/v1/schedules/{a}/queue",
        None,
        {**signed_in(404), "admitted_other": 200, "owner": 200},  # 404: not in this queue
    ),
    (
        "post",
        "/api/v1/schedules/{a}/queue",
        None,
        {**signed_in(201), "admitted_other": 200, "owner": 200},
    ),
    (
        "get",
        "/api/v1/reservations/{r}",
        None,
        {**signed_in(404), "owner": 200},  # someone else's reservation does not exist for you
    ),
    (
        "post",
        "/api/v1/reservations",
        hold_body,
        {
            **signed_in(403),  # not admitted to A
            "admitted_other": 201,
            "expired_access": 403,
            "forged_access": 403,
            "owner": 201,
        },
    ),
    (
        "post",
        "/api/v1/payments",
        pay_body,
        {
            # Someone else's reservation does not exist for an admitted fan; a fan with no
            # access token is refused before anything is looked up, so nothing leaks.
            **signed_in(404),
            "other_fan": 403,
            "staff": 403,
            "expired_access": 403,
            "forged_access": 403,
            "owner": 201,
        },
    ),
    ("delete", "/api/v1/reservations/{r}", None, {**signed_in(404), "owner": 200}),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    MATRIX,
    ids=[f"{m.upper()} {p}" for m, p, _, _ in MATRIX],
)
def test_who_may_do_what(
    world: World, method: str, path: str, body: Body, expected: dict[str, int]
) -> None:
    call = request(world, method, path, body)
    callers = [who for who in ORDER if who in expected]  # the owner last
    got = {who: call(world.callers[who], n).status_code for n, who in enumerate(callers)}
    assert got == expected


def test_only_staff_reach_the_admin(make_fan: Callable[..., Fan]) -> None:
    from django.test import Client

    fan, staff = Client(), Client()
    fan.force_login(get_user_model().objects.get(id=make_fan().id))
    staff.force_login(
        get_user_model().objects.create_superuser("staff-2", "t@example.com", "staff-pass-123")
    )
    for path in ("/admin/", "/admin/concert/schedulerecord/", "/admin/payment/paymentrecord/"):
        assert Client().get(path).status_code == 302  # to the login page
        assert fan.get(path).status_code == 302  # a fan is not staff
        assert staff.get(path).status_code == 200
