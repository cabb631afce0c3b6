"""/api/docs/ works without the internet: Swagger UI's files come from our own static files
(drf-spectacular-sidecar), and the page names no other host. tests/browser renders it with
every request off this server refused."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db

URL = re.compile(r"""(?:src|href)=["']([^"']+)["']|url:\s*["']([^"']+)["']""")


def test_the_docs_page_names_no_other_host_and_its_assets_exist() -> None:
    page = Client().get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn." not in html and "jsdelivr" not in html and "unpkg" not in html
    assert not re.search(r"(?:src|href)=[\"']?(?:https?:)?//", html), "an absolute URL"
    assert '"validatorUrl": null' in html  # Swagger UI would call its validator's host
    assets = [a or b for a, b in URL.findall(html)]
    static = [a for a in assets if a.startswith("/static/")]
    names = {a.rsplit("/", 1)[-1] for a in static}
    assert {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"} <= names
    for asset in static:
        found = finders.find(asset.removeprefix("/static/"))
        assert found, f"{asset} is not among the static files"
    assert "/api/schema/" in assets


def test_the_schema_it_loads_is_served() -> None:
    schema = Client().get("/api/schema/?format=json")
    assert schema.status_code == 200
    assert "/api/v1/schedules/{schedule_id}" in schema.json()["paths"]
