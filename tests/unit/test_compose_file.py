"""docker-compose.yml holds together: it runs the whole event pipeline (a relay, and a
consumer per group that has handlers), every command it runs exists, every variable it
sets is one the settings read, and every service waits for healthy dependencies."""

from pathlib import Path
from typing import Any

import yaml
from django.core.management import get_commands

from apps.events.handlers import HANDLERS
from scripts.nginx_proxy import COMPOSE_CONFIG, compose_config

ROOT = Path(__file__).resolve().parents[2]


def services() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"])


def command(service: dict[str, Any]) -> list[str]:
    return [str(part) for part in service.get("command", [])]


def test_compose_runs_the_relay_and_every_consumer_group() -> None:
    commands = [" ".join(command(s)) for s in services().values()]
    assert any(c.endswith("manage.py relay_outbox") for c in commands)
    for group in HANDLERS:
        assert any(f"consume_events --group {group}" in c for c in commands), group
    assert {"nginx", "app", "worker", "beat", "mariadb", "redis"} <= set(services())


def test_every_command_exists() -> None:
    known = set(get_commands())
    for name, service in services().items():
        parts = command(service)
        if parts[:2] == ["python", "manage.py"]:
            assert parts[2] in known, f"{name}: no manage.py {parts[2]}"
        elif parts[:1] == ["celery"]:
            assert parts[1:3] == ["-A", "config"] and parts[3] in ("worker", "beat"), name


def test_every_variable_is_one_the_settings_read() -> None:
    listed = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    for name, service in services().items():
        if service.get("image") == "ticketing-app":
            unknown = set(service["environment"]) - listed
            assert not unknown, f"{name} sets {unknown}, which no setting reads"


def test_every_dependency_is_waited_for_healthy() -> None:
    all_services = services()
    for name, service in all_services.items():
        for dependency, how in service.get("depends_on", {}).items():
            condition = how["condition"]
            assert condition in ("service_healthy", "service_completed_successfully"), name
            if condition == "service_healthy":
                target = all_services[dependency]
                # The app image has a HEALTHCHECK of its own (Dockerfile).
                assert "healthcheck" in target or target.get("image") == "ticketing-app", (
                    f"{name} waits for {dependency}, which has no healthcheck"
                )
    assert "HEALTHCHECK" in (ROOT / "Dockerfile").read_text()


def test_the_compose_nginx_config_is_the_one_make_serve_uses() -> None:
    assert COMPOSE_CONFIG.read_text() == compose_config(), (
        "run `python scripts/nginx_proxy.py --compose-config`"
    )
