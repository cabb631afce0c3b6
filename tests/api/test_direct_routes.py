"""The waiting room's fan endpoints are served straight from WSGI (apps/http/direct_routes.py):
the same views as through Django, with what the API middleware adds to them. Called here
through the real WSGI application, next to the same request through Django's handler."""

import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.test.client import RequestFactory

from apps.concert.models import ScheduleRecord
from apps.http.api_handler import StackHandler, application_for_api_and_browser
from apps.http.direct_routes import DirectRoutes, direct_route
from apps.ops.metrics import REQUEST_SECONDS
from domain.queue.usecases import CheckPlace
from tests.api.test_queue_api import forget_wiring
from tests.conftest import Fan

pytestmark = pytest.mark.django_db(transaction=True)
MakeSchedule = Callable[..., ScheduleRecord]
Answer = tuple[int, dict[str, str], bytes]


@pytest.fixture(autouse=True)
def _fresh_wiring() -> Iterator[None]:
    forget_wiring()
    yield
    forget_wiring()


def call(app: Any, method: str, path: str, **headers: str) -> Answer:
    environ = RequestFactory()._base_environ(PATH_INFO=path, REQUEST_METHOD=method, **headers)
    answer: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
        answer["status"], answer["headers"] = int(status.split()[0]), dict(response_headers)

    body = b"".join(app(environ, start_response))
    return answer["status"], answer["headers"], body


def through_django() -> StackHandler:
    return StackHandler(settings.API_MIDDLEWARE)


def bearer(fan: Fan) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {fan.access}"}


def comparable(answer: Answer) -> tuple[int, set[str], dict[str, Any]]:
    status, headers, body = answer
    parsed = json.loads(body) if body else {}
    parsed.pop("eta_seconds", None)  # moves with the clock between the two calls
    parsed.pop("as_of", None)
    return status, set(headers), parsed


def test_the_direct_answers_are_djangos_answers(
    make_fan: Callable[..., Fan], make_schedule: MakeSchedule
) -> None:
    schedule = make_schedule(max_active=1)
    first, second = make_fan(), make_fan()
    app, django = application_for_api_and_browser(), through_django()
    queue = f"/api/v1/schedules/{schedule.id}/queue"
    assert call(app, "POST", queue, **bearer(first))[0] == 201
    entered = call(app, "POST", queue, **bearer(second))
    assert entered[0] == 201 and json.loads(entered[2])["position"] == 1

    requests = [
        ("POST", queue, bearer(second)),  # the same place again
        ("GET", queue, bearer(second)),  # heartbeat
        ("GET", queue, bearer(first)),  # admitted: an access token
        ("GET", queue, {}),  # 401
        ("GET", queue, {"HTTP_AUTHORIZATION": "Bearer not-a-token"}),  # 401
        ("GET", "/api/v1/schedules/987654/queue", bearer(first)),  # 404
        ("GET", f"/api/v1/schedules/{schedule.id}/queue/state", {}),
        ("GET", "/api/v1/schedules/987654/queue/state", {}),  # 404
    ]
    for method, path, headers in requests:
        direct, expected = call(app, method, path, **headers), call(django, method, path, **headers)
        assert comparable(direct) == comparable(expected), (method, path)
    assert call(app, "DELETE", queue, **bearer(second))[0] == 204
    assert call(app, "GET", queue, **bearer(second))[0] == 404


def test_a_direct_answer_carries_the_request_id_and_the_security_headers(
    fan: Fan, make_schedule: MakeSchedule
) -> None:
    schedule = make_schedule()
    app = application_for_api_and_browser()
    path = f"/api/v1/schedules/{schedule.id}/queue"
    _, given, _ = call(app, "POST", path, HTTP_X_REQUEST_ID="fan-req-1", **bearer(fan))
    assert given["X-Request-ID"] == "fan-req-1"
    _, fresh, _ = call(app, "GET", path, HTTP_X_REQUEST_ID="not an id!", **bearer(fan))
    assert re.fullmatch(r"[0-9a-f]{32}", fresh["X-Request-ID"])
    assert fresh["X-Content-Type-Options"] == "nosniff"
    assert fresh["Referrer-Policy"] == settings.SECURE_REFERRER_POLICY


def test_direct_requests_are_counted_under_their_route(
    fan: Fan, make_schedule: MakeSchedule
) -> None:
    schedule = make_schedule()
    route = "api/v1/schedules/<int:schedule_id>/queue"

    def counted(status: str) -> float:
        for metric in REQUEST_SECONDS.collect():
            for sample in metric.samples:
                labels = sample.labels
                if sample.name.endswith("_count") and labels == {
                    "route": route,
                    "method": "GET",
                    "status": status,
                }:
                    return sample.value
        return 0.0

    before_ok, before_401 = counted("200"), counted("401")
    app = application_for_api_and_browser()
    path = f"/api/v1/schedules/{schedule.id}/queue"
    call(app, "POST", path, **bearer(fan))
    call(app, "GET", path, **bearer(fan))
    call(app, "GET", path)
    assert counted("200") == before_ok + 1 and counted("401") == before_401 + 1


def test_other_methods_go_through_django(fan: Fan, make_schedule: MakeSchedule) -> None:
    schedule = make_schedule()
    status, headers, body = call(
        application_for_api_and_browser(),
        "PUT",
        f"/api/v1/schedules/{schedule.id}/queue",
        **bearer(fan),
    )
    assert status == 405 and headers["Allow"] == "GET, POST, DELETE"
    assert json.loads(body)["code"] == "method_not_allowed"


def test_the_https_redirect_still_applies(fan: Fan, make_schedule: MakeSchedule) -> None:
    schedule = make_schedule()
    with override_settings(SECURE_SSL_REDIRECT=True):
        app = application_for_api_and_browser()
        status, headers, _ = call(
            app, "GET", f"/api/v1/schedules/{schedule.id}/queue/state", HTTP_HOST="testserver"
        )
    assert status == 301
    assert headers["Location"].startswith("https://testserver/api/v1/schedules/")


def test_a_bug_is_a_logged_500_problem(
    fan: Fan,
    make_schedule: MakeSchedule,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    schedule = make_schedule()

    def broken(self: CheckPlace, **kwargs: Any) -> None:
        raise RuntimeError("a bug")

    app = application_for_api_and_browser()
    path = f"/api/v1/schedules/{schedule.id}/queue"
    call(app, "POST", path, **bearer(fan))
    monkeypatch.setattr(CheckPlace, "__call__", broken)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        status, headers, body = call(app, "GET", path, **bearer(fan))
    assert status == 500 and headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["code"] == "internal_error" and "a bug" not in body.decode()
    assert any(record.exc_info for record in caplog.records)


def test_a_direct_route_must_match_the_urlconf() -> None:
    wrong = direct_route("queue", r"/api/v1/schedules/(?P<schedule_id>[0-9]+)/line", ["GET"])
    with pytest.raises(ValueError, match="does not match"):
        DirectRoutes([wrong], fallback=through_django())
