"""docker-compose.yml runs the whole event pipeline: a relay, and a consumer per group that
has handlers (without them topics are never made and a cancelled show is never refunded)."""

from pathlib import Path

import yaml

from apps.events.handlers import HANDLERS

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def test_compose_runs_the_relay_and_every_consumer_group() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    commands = [" ".join(service.get("command", [])) for service in services.values()]
    assert any(command.endswith("manage.py relay_outbox") for command in commands)
    for group in HANDLERS:
        assert any(f"consume_events --group {group}" in command for command in commands), group
