"""A sale in progress for fault tests: admitted fans in threads hold and pay through the API
while the test breaks a dependency, and every answer is kept for the checks."""

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from apps.concert.models import ScheduleRecord
from apps.payment.management.commands.reconcile import find_violations
from tests.concurrency import in_threads
from tests.conftest import AdmittedFan

# What a fan may be told while a dependency fails: all clean, documented answers.
EXPECTED_CODES = {
    "",
    "seat_unavailable",
    "lock_timeout",
    "not_admitted",
    "too_many_seats",
    "redis_unavailable",
    "database_unavailable",
    "queue_unavailable",
    "rate_limited",  # queueing again too often after a purchase
}


@dataclass
class Answers:
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    missing_retry_after: list[str] = field(default_factory=list)
    lock = threading.Lock()

    def record(self, response: Any) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1
            code = ""
            if response.status_code >= 400:
                code = response.json().get("code", "")
                self.codes[code] += 1
            needs_retry_after = response.status_code in (429, 503) or code == "lock_timeout"
            if needs_retry_after and not response.has_header("Retry-After"):
                self.missing_retry_after.append(f"{response.status_code} {code}")


def keep_buying(
    fans: list[AdmittedFan], schedule: ScheduleRecord, seconds: float
) -> Callable[[int], Answers]:
    """Work for tests.concurrency.in_threads: fan i holds a random seat and pays, again and
    again, for `seconds`; at the per-fan limit it cancels its oldest purchase (a refund)."""
    seats = list(schedule.seats.values_list("id", flat=True))
    answers = Answers()

    def work(i: int) -> Answers:
        fan = fans[i]
        token = fan.access_token
        bought: list[int] = []
        deadline = time.monotonic() + seconds
        n = 0
        while time.monotonic() < deadline:
            n += 1
            client = fan.fan.client()
            client.credentials(
                HTTP_AUTHORIZATION=f"Bearer {fan.fan.access}", HTTP_X_ACCESS_TOKEN=token
            )
            held = client.post(
                "/api/v1/reservations",
                {"schedule_id": schedule.id, "seat_ids": [random.choice(seats)]},
                format="json",
            )
            answers.record(held)
            if held.status_code == 400 and bought:  # at the limit: give one back
                answers.record(client.delete(f"/api/v1/reservations/{bought.pop(0)}"))
            if held.status_code == 403:  # a payment gives the slot back: queue again
                again = client.post(f"/api/v1/schedules/{schedule.id}/queue")
                answers.record(again)
                if again.status_code < 300 and again.json()["status"] == "admitted":
                    token = again.json()["access_token"]
            if held.status_code == 201:
                paid = client.post(
                    "/api/v1/payments",
                    {"reservation_id": held.json()["id"]},
                    format="json",
                    HTTP_IDEMPOTENCY_KEY=f"fault-{i}-{n}",
                )
                answers.record(paid)
                if paid.status_code == 201:
                    bought.append(held.json()["id"])
            time.sleep(0.02)
        return answers

    return work


def sale_through(
    fault: Callable[[], None], fans: list[AdmittedFan], schedule: ScheduleRecord, seconds: float
) -> Answers:
    """Runs the sale in one thread per fan and `fault` in one more, all started together;
    returns every answer the fans got."""
    sale = keep_buying(fans, schedule, seconds)

    def work(i: int) -> object:
        if i < len(fans):
            return sale(i)
        fault()
        return None

    results = in_threads(len(fans) + 1, work)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    answers: Answers = results[0]
    return answers


def assert_sale_survived(answers: Answers) -> None:
    """No 500s; every 429/503 and lock timeout said when to come back; no seat sold twice and
    no point lost or made up (reconcile)."""
    connection.close()  # this thread's connection may have died with the fault
    assert 500 not in answers.statuses, answers.statuses
    assert not answers.missing_retry_after, answers.missing_retry_after
    assert set(answers.statuses) <= {200, 201, 400, 403, 409, 429, 503}, answers.statuses
    assert set(answers.codes) <= EXPECTED_CODES, answers.codes
    assert find_violations() == []


def assert_a_sale_survives(
    fault: Callable[[], None], *, schedule: ScheduleRecord, fans: list[AdmittedFan]
) -> None:
    """A dependency on the request path breaks during the sale: fans are told so (503), the
    sale goes on around it and afterwards, and `assert_sale_survived` holds."""
    answers = sale_through(fault, fans, schedule, seconds=6)
    assert answers.statuses[503] > 0, "a dependency was away; someone should have been told"
    assert answers.statuses[201] > 0
    assert_sale_survived(answers)
