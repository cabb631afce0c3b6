"""The public queue state and the seat map behind nginx, as `make serve` runs them: however
many fans watch, about one request a second per schedule reaches the app; the rest are
answered from nginx's one-second cache, with a 304 for a fan whose copy is current."""

import re
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit

from apps.concert.models import ScheduleRecord
from scripts.nginx_proxy import nginx_in_front
from tests.e2e.test_quick_start import server  # noqa: F401  (fixture)
from tests.network import free_port

STATE_ROUTE = "api/v1/schedules/<int:schedule_id>/queue/state"


def app_answers(base: str, route: str = STATE_ROUTE) -> float:
    """How many requests of a route the app itself has answered (its own /metrics)."""
    text = urllib.request.urlopen(f"{base}/metrics", timeout=5).read().decode()
    pattern = re.compile(
        r'^http_request_duration_seconds_count\{[^}]*route="'
        + re.escape(route)
        + r'"[^}]*\} (\S+)$',
        re.MULTILINE,
    )
    return sum(float(value) for value in pattern.findall(text))


def get(url: str, **headers: str) -> tuple[int, Message, bytes]:
    """Status, headers (names in any case) and body."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_nginx_answers_the_watching_fans_from_its_one_second_cache(
    server: str,  # noqa: F811
    tmp_path: Path,
    make_schedule: Callable[..., ScheduleRecord],
) -> None:
    schedule = make_schedule()
    upstream = urlsplit(server).port
    assert upstream is not None
    with nginx_in_front([upstream], port=free_port(), parent=tmp_path) as front:
        url = f"{front}/api/v1/schedules/{schedule.id}/queue/state"
        status, headers, body = get(url)
        assert status == 200 and b'"phase": "open"' in body, (status, body)
        etag = headers["ETag"]
        assert get(url, **{"If-None-Match": etag})[0] == 304

        before = app_answers(server)
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(lambda _: get(url), range(200)))
        reached_app = app_answers(server) - before
        assert all(status == 200 for status, _, _ in answers)
        hits = sum(1 for _, headers, _ in answers if headers.get("X-Cache") == "HIT")
        # A generous bound (the exact count depends on how many seconds the burst took):
        # nearly every request was answered by nginx, not by the app.
        assert reached_app < 20 and hits > 150, (reached_app, hits)

        status, _, _ = get(f"{front}/api/v1/schedules/987654/queue/state")
        assert status == 404


def test_nginx_answers_the_seat_map_from_its_one_second_cache_and_never_its_statuses(
    server: str,  # noqa: F811
    tmp_path: Path,
    make_schedule: Callable[..., ScheduleRecord],
) -> None:
    schedule = make_schedule(seats=20)
    upstream = urlsplit(server).port
    assert upstream is not None
    with nginx_in_front([upstream], port=free_port(), parent=tmp_path) as front:
        url = f"{front}/api/v1/schedules/{schedule.id}"
        status, headers, body = get(f"{url}/seats", Authorization="Bearer not-needed-here")
        assert status == 200 and re.search(rb'"statuses": ?"a{20}"', body), (status, body)
        assert headers["Cache-Control"].startswith("public, max-age=1")
        assert get(f"{url}/seats", **{"If-None-Match": headers["ETag"]})[0] == 304

        def burst(part: str) -> tuple[float, int]:
            """Of 200 requests for the part, how many reached the app and how many nginx
            answered from its cache."""
            route = f"api/v1/schedules/<int:schedule_id>/{part}"
            before = app_answers(server, route)
            with ThreadPoolExecutor(max_workers=16) as pool:
                answers = list(pool.map(lambda _: get(f"{url}/{part}"), range(200)))
            assert all(status == 200 and body.endswith(b'"}') for status, _, body in answers)
            hits = sum(1 for _, headers, _ in answers if headers.get("X-Cache") == "HIT")
            return app_answers(server, route) - before, hits

        reached_app, hits = burst("seats")
        assert reached_app < 20 and hits > 150, (reached_app, hits)
        # The statuses, asked for after a 409, always come from the app.
        reached_app, hits = burst("seats/statuses")
        assert reached_app == 200 and hits == 0, (reached_app, hits)

        # An unknown schedule is the app's 404, never somebody else's cached map.
        assert get(f"{front}/api/v1/schedules/987654/seats")[0] == 404
