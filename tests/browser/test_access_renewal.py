"""A hold keeps the fan's booking slot alive past the access token the fan was admitted
with: the checkout asks the waiting room for a token for the slot as it stands and pays,
instead of sending the fan back to the line."""

import json
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Request, expect

from apps.concert.models import ScheduleRecord
from apps.payment.models import PaymentRecord
from apps.queue.wiring import access_tokens
from tests.browser.conftest import Steps
from tests.browser.test_fan_journey import hold_the_first_seat
from tests.conftest import Fan

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_checkout_past_the_admission_token_pays_with_a_renewed_one(
    site: str,
    open_page: Callable[..., Page],
    steps: Steps,
    make_schedule: Callable[..., ScheduleRecord],
    make_fan: Callable[..., Fan],
) -> None:
    schedule = make_schedule(seats=2)
    fan = make_fan()
    page = open_page()
    reservation_id = hold_the_first_seat(page, site, schedule, fan)

    # The token the fan was admitted with has run out; the slot, extended by the hold, has
    # not. A genuine token whose expiry has passed stands in for the minutes going by.
    ran_out = access_tokens().issue(
        user_id=fan.id, schedule_id=schedule.id, expires_ms=int(time.time() * 1000) - 1000
    )
    page.evaluate(
        "([key, value]) => sessionStorage.setItem(key, value)",
        [
            f"ticketing.access.{schedule.id}",
            json.dumps({"token": ran_out, "expiresAt": "2000-01-01T00:00:00Z"}),
        ],
    )
    sent: list[str] = []

    def note_token(request: Request) -> None:
        if request.url.endswith("/api/v1/payments"):
            sent.append(request.headers.get("x-access-token", ""))

    page.on("request", note_token)
    page.locator("#pay").click()
    expect(page.locator("#paid")).to_be_visible()
    steps.snap("paid with a renewed token")
    assert len(sent) == 1 and sent[0] and sent[0] != ran_out
    assert PaymentRecord.objects.filter(reservation_id=reservation_id).count() == 1
