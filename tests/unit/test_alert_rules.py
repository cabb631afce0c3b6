"""The alert rules are valid and each fires when it should (`promtool check rules` and
`promtool test rules`, from Debian's prometheus package, which scripts/services installs),
and every metric they name is one the app exports."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.metric_names import EXPORTED, metrics_in

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "config" / "prometheus"


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
        named = metrics_in(rule["expr"])
        assert named and named <= EXPORTED, f"{rule['alert']}: {named - EXPORTED} not exported"
        assert f"alertname: {rule['alert']}" in tested, f"no promtool test for {rule['alert']}"


def test_the_prometheus_and_alertmanager_configs_are_valid(tmp_path: Path) -> None:
    # compose mounts the rules at /etc/prometheus/alerts.yml; here they are in the repository.
    config = (RULES / "prometheus.yml").read_text()
    (tmp_path / "prometheus.yml").write_text(
        config.replace("/etc/prometheus/alerts.yml", str(RULES / "alerts.yml"))
    )
    done = promtool("check", "config", str(tmp_path / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
    amtool = shutil.which("amtool")
    assert amtool, "amtool is missing: `scripts/services deps` installs prometheus-alertmanager"
    checked = subprocess.run(
        [amtool, "check-config", str(RULES / "alertmanager.yml")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
