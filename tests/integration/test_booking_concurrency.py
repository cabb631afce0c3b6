"""No oversell and no lost or doubled points, with real threads on the real MariaDB and
Redis. Threads are released together by a barrier and each uses its own DB connection."""

import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password

from adapters.user.orm import create_funded_fans
from apps.concert import catalog
from apps.concert.models import ScheduleRecord, SeatRecord
from apps.payment.management.commands.reconcile import find_violations
from apps.payment.models import PaymentRecord
from apps.reservation.models import ReservationRecord
from apps.reservation.wiring import hold_seats
from apps.user.models import LedgerEntryRecord, WalletRecord
from domain.payment.model import IdempotencyClaim, StoredAnswer
from domain.reservation.model import SeatUnavailable, TooManySeats
from tests.concurrency import in_threads
from tests.conftest import AdmittedFan

pytestmark = pytest.mark.django_db(transaction=True)


def bulk_fans(count: int, points: int = 0) -> list[int]:
    prefix = f"bulk{random.randrange(10**9)}-"
    return create_funded_fans(
        usernames=[f"{prefix}{i}" for i in range(count)],
        password_hash=make_password("unused-pass-1"),
        points=points,
    )


def live_seat_owners() -> Counter[int]:
    owners: Counter[int] = Counter()
    for seat_ids in ReservationRecord.objects.filter(status__in=["held", "confirmed"]).values_list(
        "seat_ids", flat=True
    ):
        owners.update(seat_ids)
    return owners


def test_two_hundred_fans_one_seat_one_hold(make_schedule: Callable[..., ScheduleRecord]) -> None:
    schedule = make_schedule(seats=1)
    seat = schedule.seats.get().id
    fans = bulk_fans(200)

    results = in_threads(
        200, lambda i: hold_seats()(user_id=fans[i], schedule_id=schedule.id, seat_ids=[seat])
    )
    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1
    assert all(isinstance(r, SeatUnavailable) for r in lost), {type(r) for r in lost}
    assert ReservationRecord.objects.filter(status="held").count() == 1
    assert SeatRecord.objects.get(id=seat).reservation_id == won[0].id


def test_two_thousand_overlapping_holds_never_share_a_seat(
    make_schedule: Callable[..., ScheduleRecord],
) -> None:
    schedule = make_schedule(seats=100)
    seats = list(schedule.seats.values_list("id", flat=True))
    fans = bulk_fans(2000)
    rng = random.Random(7)
    wanted = [rng.sample(seats, rng.randint(1, 4)) for _ in range(2000)]

    results = in_threads(
        2000,
        lambda i: hold_seats()(user_id=fans[i], schedule_id=schedule.id, seat_ids=wanted[i]),
        workers=48,
    )
    unexpected = [
        r for r in results if isinstance(r, Exception) and not isinstance(r, SeatUnavailable)
    ]
    assert unexpected == []
    won = [r for r in results if not isinstance(r, Exception)]
    assert won, "someone must get seats"
    owners = live_seat_owners()
    assert max(owners.values()) == 1  # no seat in two live reservations
    assert find_violations() == []
    # The database and the seat map agree, seat by seat.
    held_by = {s: r.id for r in won for s in r.seat_ids}
    catalog.forget_seat_map(schedule.id)
    shown = {
        s["id"]: s["status"]
        for s in __import__("json").loads(catalog.seat_map_json(schedule.id))["seats"]
    }
    for seat in SeatRecord.objects.filter(schedule=schedule):
        assert seat.reservation_id == held_by.get(seat.id)
        assert shown[seat.id] == ("held" if seat.id in held_by else "available")


def pay_in_threads(buyer: AdmittedFan, reservation_id: int, keys: list[str]) -> list[Any]:
    def one(i: int) -> Any:
        return buyer.client().post(
            "/api/v1/payments",
            {"reservation_id": reservation_id},
            format="json",
            HTTP_IDEMPOTENCY_KEY=keys[i],
        )

    return in_threads(len(keys), one)


@pytest.fixture
def held(
    make_schedule: Callable[..., ScheduleRecord], admit: Callable[..., AdmittedFan]
) -> tuple[AdmittedFan, int]:
    """A fan with 10,000 points holding one seat: (the fan, the reservation id)."""
    schedule = make_schedule(seats=2)
    buyer = admit(schedule, points=10_000)
    seat = schedule.seats.order_by("id").values_list("id", flat=True)[0]
    response = buyer.client().post(
        "/api/v1/reservations", {"schedule_id": schedule.id, "seat_ids": [seat]}, format="json"
    )
    return buyer, int(response.json()["id"])


def test_fifty_payments_with_one_key_pay_once(held: tuple[AdmittedFan, int]) -> None:
    buyer, reservation = held

    responses = pay_in_threads(buyer, reservation, ["same-key"] * 50)
    statuses = Counter(r.status_code for r in responses)
    # The later requests wait for the first on the reservation's row lock, then replay its
    # answer, even though the paid fan's waiting-room slot is gone by then.
    assert statuses == {201: 50}, [r.json() for r in responses if r.status_code != 201]
    assert len({r.content for r in responses}) == 1  # one answer
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 49
    assert PaymentRecord.objects.filter(reservation_id=reservation).count() == 1
    assert LedgerEntryRecord.objects.filter(user_id=buyer.fan.id, kind="payment").count() == 1
    assert WalletRecord.objects.get(user_id=buyer.fan.id).balance == 9000


def test_one_key_for_two_reservations_pays_one_of_them(
    make_schedule: Callable[..., ScheduleRecord], admit: Callable[..., AdmittedFan]
) -> None:
    """The key's answer commits with the payment: a second payment under the same key, run
    at the same moment for another reservation, rolls back whole and answers 422."""
    schedule = make_schedule(seats=2)
    buyer = admit(schedule, points=10_000)
    first, second = (
        buyer.client()
        .post(
            "/api/v1/reservations", {"schedule_id": schedule.id, "seat_ids": [seat]}, format="json"
        )
        .json()["id"]
        for seat in schedule.seats.order_by("id").values_list("id", flat=True)
    )

    def one(i: int) -> Any:
        return buyer.client().post(
            "/api/v1/payments",
            {"reservation_id": (first, second)[i % 2]},
            format="json",
            HTTP_IDEMPOTENCY_KEY="shared",
        )

    responses = in_threads(20, one)
    outcomes = Counter(
        r.status_code if r.status_code == 201 else r.json()["code"] for r in responses
    )
    assert set(outcomes) == {201, "idempotency_key_reused"}, outcomes
    assert outcomes[201] == 10  # the winner and its replays
    assert PaymentRecord.objects.filter(reservation_id__in=(first, second)).count() == 1
    assert WalletRecord.objects.get(user_id=buyer.fan.id).balance == 9000
    assert find_violations() == []


def test_fifty_payments_with_different_keys_pay_once(held: tuple[AdmittedFan, int]) -> None:
    buyer, reservation = held

    responses = pay_in_threads(buyer, reservation, [f"key-{i}" for i in range(50)])
    codes = Counter(r.status_code if r.status_code == 201 else r.json()["code"] for r in responses)
    # Once paid, the slot is released: later requests may also meet not_admitted.
    assert codes[201] == 1, codes
    assert set(codes) <= {201, "already_paid", "not_admitted"}, codes
    assert WalletRecord.objects.get(user_id=buyer.fan.id).balance == 9000
    assert find_violations() == []


def test_points_are_conserved_across_a_busy_sale(
    make_schedule: Callable[..., ScheduleRecord],
) -> None:
    schedule = make_schedule(seats=40)
    seats = list(schedule.seats.values_list("id", flat=True))
    fans = bulk_fans(60, points=5000)
    from apps.payment.wiring import pay_for_reservation

    rng = random.Random(3)

    def buy(i: int) -> Any:
        reservation = hold_seats()(
            user_id=fans[i], schedule_id=schedule.id, seat_ids=rng.sample(seats, 2)
        )
        return pay_for_reservation()(
            claim=IdempotencyClaim(fans[i], f"buy-{i}", "f"),
            reservation_id=reservation.id,
            schedule_id=schedule.id,
            render=lambda receipt: StoredAnswer(201, {"id": receipt.id}),
        )

    results = in_threads(60, buy)
    paid = [r for r in results if not isinstance(r, Exception)]
    assert paid and find_violations() == []
    sold = SeatRecord.objects.filter(schedule=schedule, status="sold").count()
    assert sold == 2 * len(paid)
    total = sum(WalletRecord.objects.filter(user_id__in=fans).values_list("balance", flat=True))
    assert total == 60 * 5000 - sum(p.amount for p in paid)


def fan_seats_held(fan: int) -> int:
    return sum(
        len(seat_ids)
        for seat_ids in ReservationRecord.objects.filter(
            user_id=fan, status__in=["held", "confirmed"]
        ).values_list("seat_ids", flat=True)
    )


def test_ten_parallel_holds_of_one_fan_never_pass_the_seat_limit(
    make_schedule: Callable[..., ScheduleRecord],
) -> None:
    """The limit is 4 seats a fan. Ten holds of 4 different seats at once: one wins."""
    schedule = make_schedule(seats=40, max_seats_per_fan=4)
    seats = list(schedule.seats.order_by("id").values_list("id", flat=True))
    fan = bulk_fans(1)[0]

    results = in_threads(
        10,
        lambda i: hold_seats()(
            user_id=fan, schedule_id=schedule.id, seat_ids=seats[4 * i : 4 * i + 4]
        ),
    )
    held = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(held) == 1 and fan_seats_held(fan) == 4
    assert all(isinstance(r, TooManySeats) for r in refused), {type(r) for r in refused}


def test_parallel_single_seat_holds_of_one_fan_stop_exactly_at_the_limit(
    make_schedule: Callable[..., ScheduleRecord],
) -> None:
    schedule = make_schedule(seats=12, max_seats_per_fan=4)
    seats = list(schedule.seats.order_by("id").values_list("id", flat=True))
    fan, other = bulk_fans(2)

    results = in_threads(
        12, lambda i: hold_seats()(user_id=fan, schedule_id=schedule.id, seat_ids=[seats[i]])
    )
    assert sum(1 for r in results if not isinstance(r, Exception)) == 4
    assert fan_seats_held(fan) == 4
    # Another fan is not held back by the first one's limit.
    taken = {seat for r in results if not isinstance(r, Exception) for seat in r.seat_ids}
    free = [seat for seat in seats if seat not in taken]
    hold_seats()(user_id=other, schedule_id=schedule.id, seat_ids=free[:1])
    assert fan_seats_held(other) == 1
