"""Security settings and abuse: production passes `check --deploy`, admin sessions need
CSRF and secure cookies, large bodies are refused early, forged or replayed access tokens get
nothing, and no secret or token reaches the logs."""

import json
import logging
import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from apps.concert.models import ScheduleRecord
from tests.api.test_auth_api import assert_problem
from tests.conftest import AdmittedFan

pytestmark = pytest.mark.django_db


def production_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "tickets.example.com",
        **extra,
    }


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], env=env, capture_output=True, text=True
    )


def test_production_settings_pass_the_deploy_checks() -> None:
    done = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_production_refuses_debug_and_a_weak_secret() -> None:
    debug = manage("check", env=production_env(DEBUG="1"))
    assert debug.returncode != 0 and "DEBUG must be off" in debug.stderr
    weak = manage("check", env=production_env(SECRET_KEY="short"))
    assert weak.returncode != 0 and "SECRET_KEY" in weak.stderr


def test_the_default_settings_refuse_the_public_secret_outside_debug() -> None:
    """manage.py, WSGI and Celery default to the development settings: forgetting
    DJANGO_SETTINGS_MODULE must not mean DEBUG on and JWTs signed with a published key."""
    bare = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY")
    }
    refused = manage("check", env=bare)
    assert refused.returncode != 0
    assert "development SECRET_KEY is public" in refused.stderr
    assert manage("check", env={**bare, "DEBUG": "1"}).returncode == 0  # make run
    show_debug = "from django.conf import settings; print(settings.DEBUG)"
    own = manage("shell", "-c", show_debug, env={**bare, "SECRET_KEY": secrets.token_urlsafe(64)})
    assert own.stdout.split()[-1] == "False", own.stderr  # off unless set explicitly
    for start in ("import config.wsgi", "import config.celery, django; django.setup()"):
        done = subprocess.run(
            [sys.executable, "-c", start], env=bare, capture_output=True, text=True
        )
        assert done.returncode != 0 and "development SECRET_KEY is public" in done.stderr


def test_production_exports_only_over_tls_with_a_long_secret() -> None:
    plain = manage(
        "check",
        env=production_env(DATA_PLATFORM_URL="http://dp.example", DATA_PLATFORM_SECRET="x" * 40),
    )
    assert plain.returncode != 0 and "https" in plain.stderr
    short = manage(
        "check",
        env=production_env(DATA_PLATFORM_URL="https://dp.example", DATA_PLATFORM_SECRET="x"),
    )
    assert short.returncode != 0 and "DATA_PLATFORM_SECRET" in short.stderr
    good = production_env(DATA_PLATFORM_URL="https://dp.example", DATA_PLATFORM_SECRET="x" * 40)
    assert manage("check", env=good).returncode == 0


def test_production_cookies_are_secure_and_http_only() -> None:
    code = (
        "from django.conf import settings as s; import json; print(json.dumps(["
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0]))"
    )
    done = manage("shell", "-c", code, env=production_env())
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [True, True, True, True, True]


def test_the_admin_login_needs_a_csrf_token() -> None:
    get_user_model().objects.create_superuser("ops-csrf", "o@example.com", "ops-pass-1234")
    browser = Client(enforce_csrf_checks=True)
    form = {"username": "ops-csrf", "password": "ops-pass-1234"}
    assert browser.post("/admin/login/", form).status_code == 403  # no token: refused
    browser.get("/admin/login/")
    token = browser.cookies["csrftoken"].value
    signed_in = browser.post("/admin/login/", {**form, "csrfmiddlewaretoken": token})
    assert signed_in.status_code == 302  # in


def test_an_oversized_body_is_refused_before_it_is_read(anonymous: APIClient) -> None:
    huge = {"username": "x" * (128 * 1024), "password": "y"}
    assert_problem(anonymous.post("/api/v1/users", huge, format="json"), 413, "body_too_large")


def test_forged_and_foreign_access_tokens_get_nothing(
    make_schedule: Callable[..., ScheduleRecord], admit: Callable[..., AdmittedFan]
) -> None:
    schedule = make_schedule(seats=4)
    fan, other = admit(schedule), admit(schedule)
    seat = schedule.seats.order_by("id").first()
    assert seat is not None
    body = {"schedule_id": schedule.id, "seat_ids": [seat.id]}
    # Another fan's token, replayed with my own login.
    replayed = fan.fan.client()
    replayed.credentials(
        HTTP_AUTHORIZATION=f"Bearer {fan.fan.access}", HTTP_X_ACCESS_TOKEN=other.access_token
    )
    assert_problem(replayed.post("/api/v1/reservations", body, format="json"), 403, "not_admitted")
    # My token with its user id changed: the signature no longer matches.
    parts = fan.access_token.split(".")
    parts[1] = str(other.fan.id)
    tampered = fan.fan.client()
    tampered.credentials(
        HTTP_AUTHORIZATION=f"Bearer {fan.fan.access}", HTTP_X_ACCESS_TOKEN=".".join(parts)
    )
    assert_problem(tampered.post("/api/v1/reservations", body, format="json"), 403, "not_admitted")
    # After leaving the queue, the token is worth nothing even though it has not expired.
    assert fan.client().delete(f"/api/v1/schedules/{schedule.id}/queue").status_code == 204
    assert_problem(
        fan.client().post("/api/v1/reservations", body, format="json"), 403, "not_admitted"
    )


def test_no_password_or_token_reaches_the_logs(
    anonymous: APIClient,
    make_schedule: Callable[..., ScheduleRecord],
    caplog: pytest.LogCaptureFixture,
) -> None:
    schedule = make_schedule(seats=2)
    password = "a-Secret-pass-9876"
    with caplog.at_level(logging.DEBUG):
        assert (
            anonymous.post(
                "/api/v1/users", {"username": "logged", "password": password}, format="json"
            ).status_code
            == 201
        )
        tokens = anonymous.post(
            "/api/v1/auth/token", {"username": "logged", "password": password}, format="json"
        ).json()
        bad = anonymous.post(
            "/api/v1/auth/token", {"username": "logged", "password": "wrong-one"}, format="json"
        )
        assert bad.status_code == 401
        fan = APIClient()
        fan.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
        entered = fan.post(f"/api/v1/schedules/{schedule.id}/queue").json()
        fan.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token")
        fan.get("/api/v1/me/wallet")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (
        password,
        "wrong-one",
        tokens["access"],
        tokens["refresh"],
        entered.get("access_token") or "",
        entered["queue_token"],
        "not-a-real-token",
    ):
        if secret:
            assert secret not in logged


def test_holding_too_often_is_rate_limited(
    make_schedule: Callable[..., ScheduleRecord],
    admit: Callable[..., AdmittedFan],
    settings: Any,
) -> None:
    settings.HOLD_RATE_PER_USER, settings.HOLD_BURST_PER_USER = 0.5, 3
    schedule = make_schedule(seats=8)
    fan = admit(schedule)
    taken = schedule.seats.order_by("id").first()
    assert taken is not None
    body = {"schedule_id": schedule.id, "seat_ids": [taken.id]}
    assert fan.client().post("/api/v1/reservations", body, format="json").status_code == 201
    for _ in range(2):  # the same seat again: 409s, and each counts
        answer = fan.client().post("/api/v1/reservations", body, format="json")
        assert answer.status_code == 409
    limited = fan.client().post("/api/v1/reservations", body, format="json")
    assert_problem(limited, 429, "rate_limited")
    assert int(limited["Retry-After"]) >= 1


def test_seed_demo_refuses_production_settings() -> None:
    """It makes accounts with published passwords, and --reset deletes every concert."""
    done = manage("seed_demo", env=production_env())
    assert done.returncode != 0 and "refuses production settings" in done.stderr


def test_production_topics_are_per_environment() -> None:
    show = "from django.conf import settings; print(settings.KAFKA_TOPIC_PREFIX)"
    assert manage("shell", "-c", show, env=production_env()).stdout.split()[-1] == "production."
    staging = manage("shell", "-c", show, env=production_env(DEPLOY_ENV="staging"))
    assert staging.stdout.split()[-1] == "staging."


def test_every_kafka_client_takes_the_cluster_security(settings: Any) -> None:
    from adapters.messaging.kafka_client import client_config
    from adapters.messaging.relay import producer_config

    settings.KAFKA_SECURITY = {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "ticketing",
        "sasl.password": "s3cret",
        "ssl.ca.location": "",  # unset: left out
    }
    config = client_config("kafka-1:9093", log_level=3)
    assert config == {
        "bootstrap.servers": "kafka-1:9093",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "ticketing",
        "sasl.password": "s3cret",
        "log_level": 3,
    }
    assert producer_config("kafka-1:9093")["security.protocol"] == "SASL_SSL"
