"""The alert rules are valid and each fires when it should (`promtool check rules` and
`promtool test rules`, from Debian's prometheus package, which scripts/services installs),
and every metric they name is one the app exports."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "config" / "prometheus"
# What /metrics exports (apps/*/metrics.py, apps/ops/readiness.py); histograms and counters
# also as their _bucket, _count, _sum and _total series.
EXPORTED = {
    "http_request_duration_seconds", "event_handled_lag_seconds", "queue_waiting",
    "queue_active", "queue_admitted_per_second", "queue_admitted_total",
    "queue_abandoned_total", "queue_admission_rate", "queue_admission_reason",
    "queue_admission_steering_p95_ms", "outbox_backlog", "outbox_oldest_unpublished_seconds",
    "outbox_published_per_second", "schedules_cancelled_unrefunded", "events_dead_lettered",
    "dependency_up",
}  # fmt: skip


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool is missing: `scripts/services deps` installs prometheus")
    return subprocess.run([binary, *args], cwd=RULES, capture_output=True, text=True)


def test_the_rules_are_valid() -> None:
    done = promtool("check", "rules", "alerts.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_alert_fires_when_it_should_and_only_then() -> None:
    done = promtool("test", "rules", "alerts_test.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_rules_name_only_metrics_the_app_exports() -> None:
    rules = yaml.safe_load((RULES / "alerts.yml").read_text())["groups"][0]["rules"]
    tested = (RULES / "alerts_test.yml").read_text()
    for rule in rules:
        for name in re.findall(r"\b([a-z_]+)\{|\b([a-z_]+) [<>=]", rule["expr"]):
            metric = re.sub(r"_(bucket|count|sum|total)$", "", next(filter(None, name)))
            assert metric in EXPORTED, f"{rule['alert']} names {metric}, which no one exports"
        assert f"alertname: {rule['alert']}" in tested, f"no promtool test for {rule['alert']}"
