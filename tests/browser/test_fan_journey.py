"""A fan's whole journey in headless Chromium, through the pages and the public API only:
sign up, wait in a room that admits one fan a second and watch the place fall, get admitted,
pick seats with the keyboard, hold, top up and pay, see the ticket, cancel it for a refund.
Then the ways a purchase goes wrong: a payment clicked twice whose first answer is lost
pays once, a checkout that outlived the admission token pays with a renewed one, and a seat
someone else takes first gives a 409 and a fresh map, no reload."""

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Request, Route, expect

from adapters.concert.orm import insert_seats
from apps.concert.models import ScheduleRecord
from apps.payment.models import PaymentRecord
from apps.queue.wiring import access_tokens
from apps.reservation.models import ReservationRecord
from apps.user.models import LedgerEntryRecord
from domain.concert.model import SectionPlan, lay_out_seats
from tests.browser.conftest import Steps
from tests.conftest import AdmittedFan, Fan, fund

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page: Page, site: str, fan: Fan, *, then: str) -> None:
    page.goto(f"{site}/signin?next={then}")
    page.get_by_label("Username").fill(fan.username)
    page.get_by_label("Password").fill(fan.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{then}")


def watch_the_line(page: Page, steps: Steps) -> tuple[list[int], list[str]]:
    """The places in line the page showed, and what it told screen readers, until the page
    moved on to the seat map."""
    places: list[int] = []
    spoken: list[str] = []
    deadline = time.monotonic() + 60
    while "/seats" not in page.url:
        assert time.monotonic() < deadline, f"not admitted; places shown: {places}"
        try:
            shown = page.evaluate(
                "[document.getElementById('place')?.dataset.position ?? '',"
                " document.getElementById('live')?.textContent ?? '']"
            )
        except PlaywrightError:  # the page is navigating to the seat map
            continue
        if shown[0] and (not places or places[-1] != int(shown[0])):
            places.append(int(shown[0]))
            if len(places) == 1:
                steps.snap("in line")
        if shown[1] and (not spoken or spoken[-1] != shown[1]):
            spoken.append(shown[1])
        page.wait_for_timeout(100)
    return places, spoken


def test_sign_up_wait_in_line_pick_hold_pay_see_the_ticket_and_cancel(
    site: str,
    open_page: Callable[..., Page],
    steps: Steps,
    make_schedule: Callable[..., ScheduleRecord],
    make_fan: Callable[..., Fan],
    admission_tick: None,
) -> None:
    schedule = make_schedule(seats=0, admit_per_second=1, max_active=100)
    plans = [
        SectionPlan(name="Floor", grade="R", price=1000, rows=2, seats_per_row=6),
        SectionPlan(name="Balcony", grade="S", price=500, rows=1, seats_per_row=6),
    ]
    insert_seats(schedule_id=schedule.id, seats=lay_out_seats(plans))
    # Six fans entered just before, while an operator held admission: the new fan queues
    # behind them whatever the speed of this machine, and once admission resumes (one fan a
    # second) waits a few seconds.
    call_command("queue", "pause", str(schedule.id), stdout=StringIO())
    for _ in range(6):
        entered = make_fan().client().post(f"/api/v1/schedules/{schedule.id}/queue")
        assert entered.status_code == 201

    page = open_page()
    queue = f"/schedules/{schedule.id}/queue"
    page.goto(f"{site}/signup?next={queue}")
    username = f"mina-{uuid.uuid4().hex[:8]}"
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password").fill("blue-moon-42")
    steps.snap("sign up")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"**{queue}")
    expect(page.locator("#place")).to_have_attribute("data-position", "7")
    expect(page.locator("#ahead")).to_have_text("6 fans ahead of you")
    expect(page.locator("#entry-number")).to_have_text("#7")
    call_command("queue", "resume", str(schedule.id), stdout=StringIO())

    places, spoken = watch_the_line(page, steps)
    assert len(places) >= 3 and places[0] >= 5, places  # the place was seen to fall
    assert places == sorted(places, reverse=True), places
    assert any(re.search(r"Place \d+ in line\. \d+ fans? ahead of you", t) for t in spoken), spoken

    # The seat map, by keyboard: Enter and Space pick, arrows move, Tab goes to the next
    # section.
    seat = page.locator("button.seat")
    expect(seat.first).to_be_visible()
    seat.first.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    expect(page.locator("button.seat[aria-pressed=true]")).to_have_count(2)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused.startswith("Balcony, row A, seat 1"), focused
    expect(page.get_by_role("button", name="Hold 2 seats")).to_be_enabled()
    expect(page.locator("#picked")).to_contain_text("Floor · row B · seat 1")
    steps.snap("two seats picked")
    page.get_by_role("button", name="Hold 2 seats").click()

    page.wait_for_url("**/checkout")
    expect(page.locator("#hold-countdown")).to_have_text(re.compile(r"^[0-5]:\d\d$"))
    expect(page.locator("#amount")).to_have_text("2,000 points")
    # A new account has no points: the checkout offers the difference.
    expect(page.locator("#top-up")).to_be_visible()
    expect(page.locator("#pay")).to_be_disabled()
    page.get_by_role("button", name="Add points").click()
    expect(page.locator("#balance")).to_have_text("2,000 points")
    steps.snap("checkout")
    page.get_by_role("button", name="Pay 2,000 points").click()
    expect(page.locator("#paid")).to_be_visible()
    reservation_id = int(page.locator("#reservation-number").inner_text())
    steps.snap("paid")

    page.get_by_role("link", name="See my tickets").click()
    ticket = page.locator(f'.ticket[data-reservation-id="{reservation_id}"]')
    expect(ticket).to_have_attribute("data-status", "confirmed")
    expect(ticket).to_contain_text("Test Tour")
    expect(ticket).to_contain_text("Floor · row A · seat 1")
    expect(ticket).to_contain_text(f"#{reservation_id}")
    expect(page.get_by_label("Send my tickets to")).to_have_value(f"{username}@example.com")
    steps.snap("my tickets")
    ticket.get_by_role("button", name="Cancel and refund").click()
    ticket.get_by_role("button", name=re.compile("Yes, cancel")).click()
    expect(ticket).to_have_attribute("data-status", "cancelled")
    expect(ticket).to_contain_text("2,000 points are back in your wallet")
    steps.snap("cancelled")
    assert ReservationRecord.objects.get(id=reservation_id).status == "cancelled"
    assert PaymentRecord.objects.get(reservation_id=reservation_id).status == "refunded"

    page.get_by_role("link", name="Wallet").click()
    expect(page.locator("#ledger tr")).to_have_count(3)
    kinds = page.locator("#ledger tr").evaluate_all("rows => rows.map(r => r.dataset.kind)")
    assert kinds == ["refund", "payment", "charge"]
    expect(page.locator("#balance")).to_have_text("2,000")
    steps.snap("wallet")


def pick_and_hold(page: Page, seat_ids: list[int]) -> None:
    for seat_id in seat_ids:
        page.locator(f'button.seat[data-seat-id="{seat_id}"]').click()
    page.locator("#hold").click()


@dataclass(frozen=True)
class AtCheckout:
    page: Page
    schedule: ScheduleRecord
    fan: Fan
    reservation_id: int


@pytest.fixture
def at_checkout(
    site: str,
    open_page: Callable[..., Page],
    make_schedule: Callable[..., ScheduleRecord],
    make_fan: Callable[..., Fan],
) -> AtCheckout:
    """A funded fan signed in, admitted at once (nobody waits), holding the first of four
    seats, on the checkout."""
    schedule = make_schedule(seats=4)
    fan = make_fan()
    fund(fan.id, 100_000)
    page = open_page()
    sign_in(page, site, fan, then=f"/schedules/{schedule.id}/queue")
    page.wait_for_url("**/seats")
    pick_and_hold(page, [int(schedule.seats.order_by("id").values_list("id", flat=True)[0])])
    page.wait_for_url("**/checkout")
    return AtCheckout(page, schedule, fan, int(page.url.split("/")[-2]))


def test_a_double_clicked_payment_whose_answer_is_lost_pays_once(
    at_checkout: AtCheckout, steps: Steps
) -> None:
    page, fan, reservation_id = at_checkout.page, at_checkout.fan, at_checkout.reservation_id
    expect(page.locator("#pay")).to_be_enabled()

    keys: list[str] = []

    def lose_the_first_answer(route: Route) -> None:
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 1:
            route.fetch()  # the server pays...
            route.abort()  # ...and its answer never reaches the browser
        else:
            route.continue_()

    page.route("**/api/v1/payments", lose_the_first_answer)
    page.locator("#pay").dblclick()
    expect(page.locator("#message")).to_contain_text("can never charge you twice")
    expect(page.locator("#pay")).to_contain_text("Try again")
    steps.snap("answer lost")
    page.locator("#pay").dblclick()
    expect(page.locator("#paid")).to_be_visible()
    expect(page.locator("#checkout")).to_have_attribute("data-replayed", "true")
    steps.snap("paid once")

    assert len(keys) == 2 and keys[0] == keys[1], keys  # one request per attempt, one key
    assert PaymentRecord.objects.filter(reservation_id=reservation_id).count() == 1
    assert LedgerEntryRecord.objects.filter(user_id=fan.id, kind="payment").count() == 1
    expect(page.locator("#balance")).to_have_text("99,000 points")


def test_a_checkout_past_the_admission_token_pays_with_a_renewed_one(
    at_checkout: AtCheckout, steps: Steps
) -> None:
    """A hold keeps the fan's booking slot alive past the access token the fan was admitted
    with: the checkout asks the waiting room for a token for the slot as it stands and pays,
    instead of sending the fan back to the line."""
    page, fan, schedule = at_checkout.page, at_checkout.fan, at_checkout.schedule
    reservation_id = at_checkout.reservation_id

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


def test_a_seat_taken_meanwhile_is_a_409_and_a_fresh_map_without_a_reload(
    site: str,
    open_page: Callable[..., Page],
    steps: Steps,
    make_schedule: Callable[..., ScheduleRecord],
    make_fan: Callable[..., Fan],
    admit: Callable[..., AdmittedFan],
) -> None:
    schedule = make_schedule(seats=8)
    rival = admit(schedule)
    fan = make_fan()
    fund(fan.id, 100_000)
    page = open_page(phone=True)
    sign_in(page, site, fan, then=f"/schedules/{schedule.id}/queue")
    page.wait_for_url("**/seats")
    taken, kept = list(schedule.seats.order_by("id").values_list("id", flat=True)[:2])
    seat = {n: page.locator(f'button.seat[data-seat-id="{n}"]') for n in (taken, kept)}

    def rival_holds_it_first(route: Route) -> None:
        held = rival.client().post(
            "/api/v1/reservations", {"schedule_id": schedule.id, "seat_ids": [taken]}, format="json"
        )
        assert held.status_code == 201, held.content
        route.continue_()

    page.route("**/api/v1/reservations", rival_holds_it_first, times=1)
    page.evaluate("window.stillTheSamePage = true")
    expect(seat[kept]).to_be_visible()  # the map is drawn: its first load is over
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url.split("/api/v1/")[-1]))
    pick_and_hold(page, [taken, kept])
    message = page.locator("#message")
    expect(message).to_contain_text("just taken by someone else")
    expect(message).to_contain_text("A · row A · seat 1")
    expect(message).to_contain_text("pick again")
    expect(seat[taken]).to_have_attribute("data-status", "held")
    expect(seat[taken]).to_have_attribute("aria-pressed", "false")
    expect(seat[kept]).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.stillTheSamePage") is True
    # The map it had, brought up to date by the statuses alone, not the whole map again.
    assert f"schedules/{schedule.id}/seats/statuses" in asked, asked
    assert f"schedules/{schedule.id}/seats" not in asked, asked
    # A phone's width: nothing wider than the screen but the seat rows' own scroller.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    steps.snap("seat taken")

    page.get_by_role("button", name="Hold 1 seat").click()
    page.wait_for_url("**/checkout")
    expect(page.locator("#seats")).to_contain_text("A · row A · seat 2")
    steps.snap("checkout with the seat left")


def test_the_api_docs_render_with_nothing_from_another_host(
    site: str, open_page: Callable[..., Page]
) -> None:
    page = open_page()
    outside: list[str] = []

    def this_server_only(route: Route) -> None:
        if route.request.url.startswith(site):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", this_server_only)
    page.goto(f"{site}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Ticketing API")
    expect(page.get_by_text("/api/v1/schedules/{schedule_id}/queue/state").first).to_be_visible()
    assert outside == []
