"""The fans' pages as Django serves them: an HTML shell per page, a Content-Security-Policy
that allows scripts from this site only, no inline script, and only static files that
exist. What the pages do is tested in a real browser (tests/browser)."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/concerts/1",
    "/signin",
    "/signup",
    "/schedules/1/queue",
    "/schedules/1/seats",
    "/reservations/1/checkout",
    "/tickets",
    "/wallet",
]
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S)


@pytest.mark.parametrize("path", PAGES)
def test_each_page_is_a_shell_with_its_module_and_a_strict_policy(path: str) -> None:
    page = Client().get(path)
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page["X-Frame-Options"] == "DENY"
    html = page.content.decode()
    scripts = SCRIPT.findall(html)
    assert scripts, "every page has its module"
    for attributes, body in scripts:
        assert 'type="module"' in attributes and not body.strip(), "no inline script"
    assert " style=" not in html, "no inline style: the policy would block it"
    for asset in re.findall(r'(?:src|href)="/static/([^"]+)"', html):
        assert finders.find(asset), asset
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html), "everything from this site"


def test_the_api_keeps_its_own_answers() -> None:
    """Pages are mounted last: an unknown API path is still the API's problem+json 404."""
    missing = Client().get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"


def test_the_scripts_import_only_files_that_exist_on_this_site() -> None:
    """Modules load each other by relative path; nothing comes from another host."""
    root = Path(finders.find("web/js/api.js") or "").parent
    modules = sorted(root.rglob("*.js"))
    assert len(modules) > 5
    for module in modules:
        source = module.read_text()
        assert not re.search(r"""["'`](?:https?:)?//[a-z]""", source), module.name
        for target in re.findall(r"""(?:from|import)\s*\(?\s*["']([^"']+)["']""", source):
            assert target.startswith("."), f"{module.name} imports {target}"
            assert (module.parent / target).resolve().is_file(), f"{module.name}: {target}"
