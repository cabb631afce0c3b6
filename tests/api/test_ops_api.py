from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from tests.api.test_auth_api import assert_problem
from tests.conftest import Fan
from tests.integration.test_catalog_cache import DEAD_REDIS


def test_healthz_needs_nothing(anonymous: APIClient) -> None:
    assert anonymous.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ready_when_every_dependency_answers(anonymous: APIClient) -> None:
    body = anonymous.get("/readyz").json()
    assert body == {"status": "ready", "checks": {"database": "ok", "redis": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_a_broker_that_is_down_only_degrades_readiness(anonymous: APIClient) -> None:
    """No request needs the broker (events wait in the outbox): a Kafka outage must not
    take every app server out of the load balancer."""
    with override_settings(KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1"):
        response = anonymous.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"].startswith("down")
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_readyz_names_redis_when_it_is_down(anonymous: APIClient) -> None:
    with override_settings(CACHES=DEAD_REDIS):
        body = assert_problem(anonymous.get("/readyz"), 503, "not_ready")
    assert body["checks"]["redis"].startswith("down")


@pytest.fixture
def database_down() -> Iterator[None]:
    """Points the connection at a closed port: every query then fails to connect."""
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port


@pytest.mark.django_db(transaction=True)
def test_a_database_outage_is_a_503_with_retry_after(fan: Fan, database_down: None) -> None:
    response = fan.client().get("/api/v1/me/wallet")
    assert_problem(response, 503, "database_unavailable")
    assert int(response["Retry-After"]) > 0
    body = assert_problem(APIClient().get("/readyz"), 503, "not_ready")
    assert body["checks"]["database"].startswith("down")


@pytest.mark.django_db
def test_metrics_expose_request_latency(anonymous: APIClient) -> None:
    anonymous.get("/healthz")
    text = anonymous.get("/metrics").content.decode()
    assert 'http_request_duration_seconds_count{method="GET",route="healthz",status="200"}' in text


@pytest.mark.django_db
def test_metrics_the_alerts_watch_are_exported(anonymous: APIClient) -> None:
    """The series the alert rules (config/prometheus/alerts.yml) read."""
    text = anonymous.get("/metrics").content.decode()
    for line in (
        'dependency_up{dependency="database"} 1.0',
        'dependency_up{dependency="redis"} 1.0',
        "schedules_cancelled_unrefunded 0.0",
        "# TYPE events_dead_lettered_total counter",
        "# TYPE outbox_oldest_unpublished_seconds gauge",
        "# TYPE seats_available gauge",
    ):
        assert line in text, line


def test_openapi_schema_and_swagger_ui_render(anonymous: APIClient) -> None:
    schema = anonymous.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in [
        "/api/v1/users",
        "/api/v1/auth/token",
        "/api/v1/me/wallet/charges",
        "/api/v1/concerts",
        "/api/v1/schedules/{schedule_id}/seats",
    ]:
        assert path in paths
    assert anonymous.get("/api/docs/").status_code == 200


def test_openapi_schema_is_valid_and_free_of_warnings(tmp_path: Path) -> None:
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


@pytest.mark.django_db
def test_readyz_asks_the_broker_at_most_every_two_seconds(
    anonymous: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apps.ops import readiness

    built: list[str] = []
    real = readiness.AdminClient

    def counting(config: dict[str, object]) -> object:
        built.append(str(config["bootstrap.servers"]))
        return real(config)

    monkeypatch.setattr(readiness, "AdminClient", counting)
    broker = settings.KAFKA_BOOTSTRAP_SERVERS
    with override_settings(KAFKA_BOOTSTRAP_SERVERS=f"{broker},{broker}"):  # not asked yet
        for _ in range(5):
            assert anonymous.get("/readyz").json()["status"] == "ready"
    assert len(built) == 1
