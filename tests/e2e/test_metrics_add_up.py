"""/metrics adds up every web worker: two granian workers share PROMETHEUS_MULTIPROC_DIR, and
whichever answers the scrape reports the requests of both, plus the gauges read live
(waiting room, outbox, dead letters)."""

import re
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.granian import running_granian, server_env

ROOT = Path(__file__).resolve().parents[2]
GRANIAN = Path(sys.executable).parent / "granian"
BATCH = 30


@pytest.mark.django_db(transaction=True)
def test_metrics_add_up_over_two_workers(tmp_path: Path) -> None:
    env = server_env(PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    with running_granian(workers=2, threads=1, env=env) as address:
        base = f"http://{address}"
        # At once, on new connections, until both workers have taken some (the second may
        # still be starting when the first answers): each writes its own files.
        sent = 0
        while sent < BATCH * 20 and len(list(tmp_path.glob("histogram_*.db"))) < 2:
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda _: urllib.request.urlopen(f"{base}/healthz", timeout=5).read(),
                              range(BATCH)))  # fmt: skip
            sent += BATCH
        assert len(list(tmp_path.glob("histogram_*.db"))) == 2
        text = urllib.request.urlopen(f"{base}/metrics", timeout=5).read().decode()
    counted = sum(
        float(value)
        for value in re.findall(
            r'^http_request_duration_seconds_count\{[^}]*route="healthz"[^}]*\} (\S+)$',
            text,
            re.MULTILINE,
        )
    )
    assert counted == sent + 1  # and the probe that found the server up
    for live in ("outbox_backlog", "events_dead_lettered"):
        assert f"# TYPE {live}" in text, live
