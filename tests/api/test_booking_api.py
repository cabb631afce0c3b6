"""Holds, reservations, payments and cancellations through the API, on the real services."""

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from apps.concert.models import ScheduleRecord, SeatRecord
from apps.events.models import OutboxEventRecord
from apps.user.models import LedgerEntryRecord, WalletRecord
from tests.api.test_auth_api import assert_problem
from tests.conftest import AdmittedFan, Fan

pytestmark = pytest.mark.django_db
MakeSchedule = Callable[..., ScheduleRecord]
Admit = Callable[..., AdmittedFan]


def seats_of(schedule: ScheduleRecord) -> list[int]:
    return list(schedule.seats.order_by("id").values_list("id", flat=True))


def hold(who: AdmittedFan, seat_ids: list[int]) -> Any:
    return who.client().post(
        "/api/v1/reservations",
        {"schedule_id": who.schedule_id, "seat_ids": seat_ids},
        format="json",
    )


def pay(who: AdmittedFan, reservation_id: int, key: str = "key-1") -> Any:
    return who.client().post(
        "/api/v1/payments",
        {"reservation_id": reservation_id},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def balance(fan: Fan) -> int:
    return WalletRecord.objects.get(user_id=fan.id).balance


def test_hold_pay_and_read(make_schedule: MakeSchedule, admit: Admit) -> None:
    schedule = make_schedule(seats=6)
    buyer = admit(schedule, points=10_000)
    seats = seats_of(schedule)[:2]
    held = hold(buyer, seats)
    assert held.status_code == 201, held.content
    body = held.json()
    assert (body["status"], body["seat_ids"], body["amount"]) == ("held", seats, 2000)
    assert {s.status for s in SeatRecord.objects.filter(id__in=seats)} == {"held"}

    paid = pay(buyer, body["id"])
    assert paid.status_code == 201, paid.content
    assert paid.json()["balance_after"] == 8000 == balance(buyer.fan)
    assert paid.json()["status"] == "succeeded"
    replay = pay(buyer, body["id"])
    assert (replay.status_code, replay.json()) == (201, paid.json())
    assert replay["Idempotent-Replayed"] == "true"

    detail = buyer.fan.client().get(f"/api/v1/reservations/{body['id']}").json()
    assert detail["status"] == "confirmed" and detail["payment_id"] == paid.json()["id"]
    assert {s.status for s in SeatRecord.objects.filter(id__in=seats)} == {"sold"}
    listed = buyer.fan.client().get("/api/v1/me/reservations").json()
    assert [r["id"] for r in listed["results"]] == [body["id"]]
    events = list(OutboxEventRecord.objects.order_by("id").values_list("event_type", flat=True))
    assert events == ["reservation.held", "payment.succeeded"]
    # The paid fan's waiting-room slot was given back at once.
    assert_problem(
        buyer.client().post(
            "/api/v1/reservations",
            {"schedule_id": schedule.id, "seat_ids": [seats_of(schedule)[3]]},
            format="json",
        ),
        403,
        "not_admitted",
    )


def test_hold_errors(make_schedule: MakeSchedule, admit: Admit, fan: Fan) -> None:
    schedule = make_schedule(seats=8)
    seats = seats_of(schedule)
    first, second = admit(schedule), admit(schedule)
    assert hold(first, seats[:2]).status_code == 201
    problem = assert_problem(hold(second, seats[1:3]), 409, "seat_unavailable")
    assert problem["detail"]
    assert_problem(hold(second, seats[:5]), 400, "too_many_seats")
    assert_problem(hold(first, seats[2:5]), 400, "too_many_seats")  # 2 held + 3 > 4
    assert_problem(hold(second, [seats[4], seats[4]]), 400, "invalid")
    assert_problem(hold(second, []), 400, "invalid")
    assert_problem(
        second.client().post("/api/v1/reservations", {"schedule_id": "x"}, format="json"),
        400,
        "invalid",
    )
    # Not admitted: no token, or a token for another schedule.
    no_token = fan.client().post(
        "/api/v1/reservations", {"schedule_id": schedule.id, "seat_ids": [seats[6]]}, format="json"
    )
    assert_problem(no_token, 403, "not_admitted")
    other = make_schedule(seats=2)
    elsewhere = admit(other)
    wrong = elsewhere.client().post(
        "/api/v1/reservations", {"schedule_id": schedule.id, "seat_ids": [seats[6]]}, format="json"
    )
    assert_problem(wrong, 403, "not_admitted")
    # Another schedule's seat is not a seat of this one.
    assert_problem(hold(second, [seats_of(other)[0]]), 409, "seat_unavailable")


def test_reservations_are_private(make_schedule: MakeSchedule, admit: Admit, fan: Fan) -> None:
    schedule = make_schedule(seats=2)
    owner = admit(schedule)
    reservation = hold(owner, seats_of(schedule)[:1]).json()["id"]
    assert_problem(fan.client().get(f"/api/v1/reservations/{reservation}"), 404, "not_found")
    assert_problem(fan.client().delete(f"/api/v1/reservations/{reservation}"), 404, "not_found")
    assert fan.client().get("/api/v1/me/reservations").json()["results"] == []


def test_payment_errors(make_schedule: MakeSchedule, admit: Admit) -> None:
    schedule = make_schedule(seats=6)
    poor = admit(schedule, points=500)
    reservation = hold(poor, seats_of(schedule)[:1]).json()["id"]
    missing = poor.client().post("/api/v1/payments", {"reservation_id": reservation}, format="json")
    assert_problem(missing, 400, "invalid_idempotency_key")
    assert_problem(pay(poor, reservation, key="k" * 256), 400, "invalid_idempotency_key")
    assert_problem(pay(poor, reservation, key="a"), 402, "insufficient_balance")
    # The stored answer is replayed; the same key for another request is refused.
    assert_problem(pay(poor, reservation, key="a"), 402, "insufficient_balance")
    other = hold(poor, seats_of(schedule)[1:2]).json()["id"]
    assert_problem(pay(poor, other, key="a"), 422, "idempotency_key_reused")
    assert_problem(pay(poor, 999_999, key="b"), 404, "not_found")
    assert balance(poor.fan) == 500


def test_a_payment_needs_a_token_for_its_reservations_schedule(
    make_schedule: MakeSchedule, admit: Admit
) -> None:
    """The schedule comes from the access token and the payment's own statement checks it
    against the reservation's row."""
    here, there = make_schedule(seats=2), make_schedule(seats=2)
    buyer = admit(here, points=5000)
    reservation = hold(buyer, seats_of(here)[:1]).json()["id"]
    elsewhere = admit(there, points=0, fan=buyer.fan)
    assert_problem(pay(elsewhere, reservation, key="c"), 403, "not_admitted")
    assert balance(buyer.fan) == 5000
    # Not stored (it may change): with the right token the same key pays.
    assert pay(buyer, reservation, key="c").status_code == 201


def test_paying_for_an_expired_hold_moves_no_points(
    make_schedule: MakeSchedule, admit: Admit
) -> None:
    schedule = make_schedule(seats=4, hold_ttl_seconds=1)
    late, other = admit(schedule, points=5000), admit(schedule, points=5000)
    seats = seats_of(schedule)[:2]
    reservation = hold(late, seats).json()["id"]
    time.sleep(1.1)  # the hold runs out, in the database and in Redis; no job has run

    assert_problem(pay(late, reservation), 409, "reservation_expired")
    assert balance(late.fan) == 5000
    assert not LedgerEntryRecord.objects.filter(user_id=late.fan.id, kind="payment").exists()
    assert hold(other, seats).status_code == 201  # free for others at once
    assert late.fan.client().get(f"/api/v1/reservations/{reservation}").json()["status"] == (
        "expired"
    )


def test_cancel_a_hold_and_refund_a_purchase(make_schedule: MakeSchedule, admit: Admit) -> None:
    schedule = make_schedule(seats=4)
    buyer = admit(schedule, points=10_000)
    seats = seats_of(schedule)
    held = hold(buyer, seats[:1]).json()["id"]
    cancelled = buyer.fan.client().delete(f"/api/v1/reservations/{held}")
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["refund"] == 0
    assert SeatRecord.objects.get(id=seats[0]).status == "available"
    assert_problem(
        buyer.fan.client().delete(f"/api/v1/reservations/{held}"), 409, "not_cancellable"
    )

    bought = hold(buyer, seats[1:3]).json()["id"]
    assert pay(buyer, bought, key="buy").status_code == 201
    assert balance(buyer.fan) == 8000
    refunded = buyer.fan.client().delete(f"/api/v1/reservations/{bought}").json()
    assert (refunded["status"], refunded["refund"]) == ("cancelled", 2000)
    assert balance(buyer.fan) == 10_000
    kinds = list(
        LedgerEntryRecord.objects.filter(user_id=buyer.fan.id)
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["charge", "payment", "refund"]
    assert set(SeatRecord.objects.filter(id__in=seats[1:3]).values_list("status", flat=True)) == {
        "available"
    }


def test_no_refund_once_the_window_has_closed(make_schedule: MakeSchedule, admit: Admit) -> None:
    schedule = make_schedule(seats=2)
    buyer = admit(schedule, points=10_000)
    bought = hold(buyer, seats_of(schedule)[:1]).json()["id"]
    pay(buyer, bought)
    ScheduleRecord.objects.filter(id=schedule.id).update(
        refund_until=timezone.now() - timedelta(minutes=1)
    )
    assert_problem(
        buyer.fan.client().delete(f"/api/v1/reservations/{bought}"), 409, "not_cancellable"
    )
    assert balance(buyer.fan) == 9000


def test_idempotency_keys_differ_by_case(make_schedule: MakeSchedule, fan: Fan) -> None:
    """`Key-A` and `key-a` are two keys: each pays its own reservation, neither replays
    the other's answer (the column compares bytes, not letters)."""
    from apps.payment.api.views import payment_answer
    from apps.payment.wiring import pay_for_reservation
    from apps.reservation.wiring import hold_seats
    from domain.payment.model import IdempotencyClaim, StoredAnswer
    from tests.conftest import fund

    schedule = make_schedule(seats=4)
    fund(fan.id, 10_000)
    receipts = []
    for seat, key in zip(seats_of(schedule)[:2], ("Key-A", "key-a"), strict=True):
        held = hold_seats()(user_id=fan.id, schedule_id=schedule.id, seat_ids=[seat])
        receipts.append(
            pay_for_reservation()(
                claim=IdempotencyClaim(fan.id, key, f"fingerprint-{held.id}"),
                reservation_id=held.id,
                schedule_id=schedule.id,
                render=payment_answer,
            )
        )
    assert not any(isinstance(r, StoredAnswer) for r in receipts)
    assert balance(fan) == 8000


def test_a_payment_that_dies_midway_leaves_its_key_free(
    make_schedule: MakeSchedule, admit: Admit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key's answer is written in the payment's own transaction: a worker that dies
    before the commit leaves no key "in flight", and the retry pays."""
    from adapters.messaging.outbox import OutboxEventLog

    schedule = make_schedule(seats=2)
    buyer = admit(schedule, points=10_000)
    reservation = hold(buyer, seats_of(schedule)[:1]).json()["id"]

    def dies(self: OutboxEventLog, event: Any) -> None:
        raise RuntimeError("the worker died before the commit")

    monkeypatch.setattr(OutboxEventLog, "record", dies)
    with pytest.raises(RuntimeError):
        pay(buyer, reservation, key="retry-me")
    monkeypatch.undo()
    retried = pay(buyer, reservation, key="retry-me")
    assert retried.status_code == 201, retried.content
    assert balance(buyer.fan) == 9000
