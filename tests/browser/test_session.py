"""Signed in across pages: the JWTs live in sessionStorage, and an access token about to
expire is refreshed before the call that needs it (refresh tokens rotate)."""

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect
from rest_framework_simplejwt.tokens import RefreshToken

from tests.browser.test_fan_journey import sign_in
from tests.conftest import Fan, fund

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_expiring_access_token_is_refreshed_before_the_call(
    site: str, open_page: Callable[..., Page], make_fan: Callable[..., Fan]
) -> None:
    fan = make_fan()
    fund(fan.id, 1234)
    refresh = RefreshToken.for_user(get_user_model().objects.get(id=fan.id))
    # A 15-minute token with 20 s left: inside the page's refresh margin (60 s).
    issued = timezone.now() - timedelta(minutes=14, seconds=40)
    dying = refresh.access_token
    dying.set_iat(at_time=issued)
    dying.set_exp(from_time=issued, lifetime=timedelta(minutes=15))
    page = open_page()
    page.goto(f"{site}/signin")
    session = {"username": fan.username, "access": str(dying), "refresh": str(refresh)}
    page.evaluate("s => sessionStorage.setItem('ticketing.session', s)", json.dumps(session))

    answers: list[tuple[str, int]] = []
    page.on("response", lambda r: answers.append((r.url.split("/api/v1/")[-1], r.status)))
    page.goto(f"{site}/wallet")
    expect(page.locator("#balance")).to_have_text("1,234")
    kept = json.loads(page.evaluate("sessionStorage.getItem('ticketing.session')"))
    assert kept["access"] != str(dying) and kept["refresh"] != str(refresh)  # rotated
    calls = [url for url, _ in answers if not url.startswith("http")]
    assert calls.index("auth/token/refresh") < calls.index("me/wallet"), calls
    assert not [a for a in answers if a[1] == 401], answers


def test_signing_out_forgets_the_tokens(
    site: str, open_page: Callable[..., Page], make_fan: Callable[..., Fan]
) -> None:
    page = open_page()
    sign_in(page, site, make_fan(), then="/tickets")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{site}/")
    assert page.evaluate("sessionStorage.length") == 0
    page.goto(f"{site}/wallet")
    page.wait_for_url("**/signin?next=%2Fwallet")
