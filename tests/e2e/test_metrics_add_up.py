"""/metrics adds up every web worker: two granian workers share PROMETHEUS_MULTIPROC_DIR, and
whichever answers the scrape reports the requests of both, plus the gauges read live
(waiting room, outbox, dead letters)."""

import re
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

from tests.celery_worker import subprocess_env
from tests.network import free_port

ROOT = Path(__file__).resolve().parents[2]
GRANIAN = Path(sys.executable).parent / "granian"
REQUESTS = 60


@pytest.mark.django_db(transaction=True)
def test_metrics_add_up_over_two_workers(tmp_path: Path) -> None:
    port = free_port()
    env = subprocess_env(
        TEST_REDIS_URL=settings.CACHES["default"]["LOCATION"],
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
    )
    server = subprocess.Popen(
        [str(GRANIAN), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "2", "--blocking-threads", "1", "config.wsgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        # At once, on new connections: both workers take some.
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: urllib.request.urlopen(f"{base}/healthz", timeout=5).read(),
                          range(REQUESTS - 1)))  # fmt: skip
        # Both workers have written their own files.
        assert len(list(tmp_path.glob("histogram_*.db"))) == 2
        text = urllib.request.urlopen(f"{base}/metrics", timeout=5).read().decode()
    finally:
        server.terminate()
        server.wait(timeout=10)
    counted = sum(
        float(value)
        for value in re.findall(
            r'^http_request_duration_seconds_count\{[^}]*route="healthz"[^}]*\} (\S+)$',
            text,
            re.MULTILINE,
        )
    )
    assert counted == REQUESTS
    for live in ("outbox_backlog", "events_dead_lettered"):
        assert f"# TYPE {live}" in text, live
