"""Bearer-token API requests go through the API's own middleware only; the admin keeps the
full stack (apps/http/api_handler.py), called here through the real WSGI application."""

from typing import Any

import pytest
from django.test.client import RequestFactory

from apps.http.api_handler import application_for_api_and_browser

pytestmark = pytest.mark.django_db(transaction=True)


def call(path: str) -> tuple[str, dict[str, str], bytes]:
    app = application_for_api_and_browser()
    environ = RequestFactory()._base_environ(PATH_INFO=path, REQUEST_METHOD="GET")
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer["status"], answer["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return answer["status"], answer["headers"], body


def test_api_requests_skip_sessions_csrf_and_frame_options() -> None:
    status, headers, _ = call("/api/v1/concerts")
    assert status.startswith("200")
    assert "X-Request-ID" in headers  # the API's own middleware ran
    assert "X-Frame-Options" not in headers and "Cookie" not in headers.get("Vary", "")
    assert "Set-Cookie" not in headers


def test_the_admin_keeps_the_full_stack() -> None:
    status, headers, _ = call("/admin/login/")
    assert status.startswith("200")
    assert headers["X-Frame-Options"] == "DENY"
    assert "csrftoken" in headers.get("Set-Cookie", "")
    assert "X-Request-ID" in headers
