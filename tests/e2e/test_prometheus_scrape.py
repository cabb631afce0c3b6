"""A real Prometheus (Debian's package) scrapes the running app, and every series the alert
rules and the sale dashboard read is recorded under the name they use."""

import json
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from apps.concert.models import ScheduleRecord
from apps.events.metrics import count_dead_letter
from tests.conftest import Fan
from tests.e2e.granian import ROOT, running_granian, server_env
from tests.metric_names import metrics_in
from tests.network import free_port

RULES = ROOT / "config" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "config" / "grafana" / "dashboards" / "sale.json"
pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(what: str, check: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    (tmp_path / "metrics").mkdir()
    env = server_env(PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
    with running_granian(env=env) as address:
        yield address, env


@pytest.fixture
def prometheus(tmp_path: Path, app: tuple[str, dict[str, str]]) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is missing: `scripts/services deps` installs it")
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s}\n"
        "scrape_configs:\n"
        f"  - {{job_name: ticketing, static_configs: [{{targets: ['{app[0]}']}}]}}\n"
    )
    process = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def query(prometheus: str, promql: str) -> list[dict[str, Any]]:
    url = f"{prometheus}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
    with urllib.request.urlopen(url, timeout=5) as answer:
        return list(json.loads(answer.read())["data"]["result"])


def test_prometheus_records_every_series_the_alerts_and_dashboard_read(
    app: tuple[str, dict[str, str]],
    prometheus: str,
    make_schedule: Callable[..., ScheduleRecord],
    make_fan: Callable[..., Fan],
) -> None:
    base, env = app
    schedule = make_schedule(max_active=1)  # on sale, with a waiting room
    for _ in range(2):  # one admitted, one waiting: the queue gauges have a schedule
        make_fan().client().post(f"/api/v1/schedules/{schedule.id}/queue")
    urllib.request.urlopen(f"http://{base}/api/v1/concerts").read()
    # A Celery worker's observation, in the directory the app server adds up.
    subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); "
         "from apps.events.metrics import EVENT_LAG_SECONDS; "
         "EVENT_LAG_SECONDS.labels('concert').observe(0.1)"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip

    count_dead_letter("scrape-test.payment.succeeded")  # the counter has a series
    read = {
        name
        for rule in yaml.safe_load(RULES.read_text())["groups"][0]["rules"]
        for name in metrics_in(rule["expr"])
    } | {
        name
        for panel in json.loads(DASHBOARD.read_text())["panels"]
        for target in panel["targets"]
        for name in metrics_in(target["expr"])
    }

    missing = set(read)

    def all_recorded() -> bool:
        for name in sorted(missing):
            pattern = f"{name}(_bucket|_count|_sum|_total)?"
            if query(prometheus, f'count({{__name__=~"{pattern}"}})'):
                missing.discard(name)
        return not missing

    wait_for("a scrape", lambda: bool(query(prometheus, 'up{job="ticketing"} == 1')))
    try:
        wait_for("the series", all_recorded, seconds=30)
    except AssertionError:
        scrapes = query(prometheus, 'scrape_duration_seconds{job="ticketing"}')
        raise AssertionError(f"never recorded: {sorted(missing)}; last scrape: {scrapes}") from None
    assert {"dependency_up", "seats_available", "event_handled_lag_seconds"} <= read
