"""The waiting room page's other moments: the countdown before the sale opens and the move
into the line at the opening; a paused room where the page keeps sending heartbeats at the
contract's pace; a lost place, said plainly, and joining again; a closed sale; every seat
held, then sold out."""

import re
import time
from collections.abc import Callable
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, Request, Route, expect

from apps.concert.models import ScheduleRecord, SeatRecord
from apps.queue.tasks import admit_waiting_fans
from tests.browser.conftest import Steps
from tests.browser.test_fan_journey import sign_in
from tests.conftest import Fan

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_countdown_before_the_opening_then_the_line_and_the_seat_map(
    site: str,
    open_page: Callable[..., Page],
    steps: Steps,
    make_schedule: Callable[..., ScheduleRecord],
    make_fan: Callable[..., Fan],
    admission_tick: None,
) -> None:
    schedule = make_schedule(seats=4, opens_in=timedelta(seconds=4))
    page = open_page()
    sign_in(page, site, make_fan(), then=f"/schedules/{schedule.id}/queue")
    expect(page.locator("#main")).to_have_attribute("data-room-state", "pre_queue")
    expect(page.locator("#countdown")).to_have_text(
        # 0:04 to 0:01, or the moment of the opening itself
        re.compile(r"^(0:0[0-4]|Opening…)$")
    )
    steps.snap("pre-queue")
    page.wait_for_url("**/seats")  # the sale opened, the fan got in
    expect(page.locator("button.seat").first).to_be_visible()


def fake_heartbeat_seconds(seconds: int) -> Callable[[Route], None]:
    """The entry's answer as the server sent it, with a shorter heartbeat_seconds: the page
    must keep to whatever the contract says."""

    def fulfil(route: Route) -> None:
        response = route.fetch()
        body = response.json()
        body["heartbeat_seconds"] = seconds
        route.fulfill(response=response, json=body)

    return fulfil


def test_heartbeats_while_paused_a_lost_place_and_joining_again(
    site: str,
    open_page: Callable[..., Page],
    steps: Steps,
    make_schedule: Callable[..., ScheduleRecord],
    make_fan: Callable[..., Fan],
    admission_tick: None,
) -> None:
    schedule = make_schedule(seats=4, admit_per_second=1)
    call_command("queue", "pause", str(schedule.id), stdout=StringIO())
    fan = make_fan()
    page = open_page()
    beats: list[float] = []

    def count(request: Request) -> None:
        if request.method == "GET" and request.url.endswith(f"/schedules/{schedule.id}/queue"):
            beats.append(time.monotonic())

    page.on("request", count)
    queue = f"{site}/api/v1/schedules/{schedule.id}/queue"
    page.route(queue, fake_heartbeat_seconds(1), times=1)
    sign_in(page, site, fan, then=f"/schedules/{schedule.id}/queue")
    expect(page.locator("#paused")).to_be_visible()
    expect(page.locator("#place")).to_have_attribute("data-position", "1")
    expect(page.locator("#ahead")).to_have_text("Nobody is ahead of you: you're next")
    deadline = time.monotonic() + 20
    while len(beats) < 3:
        assert time.monotonic() < deadline, f"{len(beats)} heartbeats"
        page.wait_for_timeout(100)
    steps.snap("paused")

    # The place is gone (as after a long silence); the line passes it once admission resumes.
    assert fan.client().delete(f"/api/v1/schedules/{schedule.id}/queue").status_code == 204
    call_command("queue", "resume", str(schedule.id), stdout=StringIO())
    ended = page.locator("#ended")
    expect(ended).to_be_visible()
    expect(ended).to_contain_text("You lost your place in the line")
    steps.snap("place lost")
    page.get_by_role("button", name="Join the queue again").click()
    page.wait_for_url("**/seats")


def test_a_closed_sale_is_said_plainly(
    site: str,
    open_page: Callable[..., Page],
    make_schedule: Callable[..., ScheduleRecord],
    make_fan: Callable[..., Fan],
) -> None:
    schedule = make_schedule(opens_in=timedelta(days=-3), closes_in=timedelta(days=-1))
    page = open_page()
    sign_in(page, site, make_fan(), then=f"/schedules/{schedule.id}/queue")
    expect(page.locator("#ended")).to_contain_text("The sale for this show is closed")
    expect(page.get_by_role("button", name="Join the queue again")).to_be_hidden()


def test_fans_ahead_who_could_take_every_seat_left_are_said_plainly(
    site: str,
    open_page: Callable[..., Page],
    steps: Steps,
    make_schedule: Callable[..., ScheduleRecord],
    make_fan: Callable[..., Fan],
    admission_tick: None,
) -> None:
    """With one seat left and one fan ahead, the page promises no time: the fan's turn
    comes only if seats come back. With as many seats left as fans ahead, it shows one."""
    schedule = make_schedule(seats=3)
    seats = SeatRecord.objects.filter(schedule=schedule).order_by("id")
    held = seats.filter(id__in=[seat.id for seat in seats[:2]])
    held.update(status="held", held_until=timezone.now() + timedelta(minutes=5))
    admit_waiting_fans()  # counted: one free, two held
    call_command("queue", "pause", str(schedule.id), stdout=StringIO())
    ahead = make_fan().client()
    assert ahead.post(f"/api/v1/schedules/{schedule.id}/queue").status_code == 201
    page = open_page()
    sign_in(page, site, make_fan(), then=f"/schedules/{schedule.id}/queue")
    expect(page.locator("#place")).to_have_attribute("data-position", "2")
    expect(page.locator("#beyond-seats")).to_be_visible()
    expect(page.locator("#seats-left")).to_have_text("1")
    expect(page.locator("#eta")).to_have_text("only if seats come back")
    steps.snap("fans ahead could take every seat left")

    held.update(status="available", held_until=None)  # two holds lapsed: three seats free
    admit_waiting_fans()
    expect(page.locator("#beyond-seats")).to_be_hidden(timeout=10_000)
    expect(page.locator("#eta")).not_to_have_text(re.compile("seats come back"))


def test_every_seat_held_then_sold_out_is_said_plainly(
    site: str,
    open_page: Callable[..., Page],
    steps: Steps,
    make_schedule: Callable[..., ScheduleRecord],
    make_fan: Callable[..., Fan],
    admission_tick: None,
) -> None:
    """The waiting room lets fans in only for seats left: with every seat held the fan keeps
    the place and is told why nobody moves; once every seat is sold, the page says so."""
    schedule = make_schedule(seats=2)
    seats = SeatRecord.objects.filter(schedule=schedule)
    seats.update(status="held", held_until=timezone.now() + timedelta(minutes=5))
    admit_waiting_fans()  # counted: nothing free, two held
    page = open_page()
    sign_in(page, site, make_fan(), then=f"/schedules/{schedule.id}/queue")
    expect(page.locator("#place")).to_have_attribute("data-position", "1")
    expect(page.locator("#all-held")).to_be_visible()
    expect(page.locator("#eta")).to_have_text("when seats come back")
    steps.snap("every seat held")

    seats.update(status="sold", held_until=None)  # as two payments would
    ended = page.locator("#ended")
    expect(ended).to_contain_text("Sold out", timeout=10_000)
    expect(page.get_by_role("button", name="Join the queue again")).to_be_hidden()
    steps.snap("sold out")
