"""Can this process serve? The database and Redis decide: without either a request cannot
be answered. The broker only degrades it: no request path needs it (the outbox keeps the
events until it is back), so a Kafka outage must not take every pod out of the load
balancer. Each probe answers within about a second or two, and its answer is kept for
ANSWER_SECONDS per dependency address, so a load balancer probing every second costs no new
Kafka client or connection each time."""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from confluent_kafka.admin import AdminClient
from django.conf import settings
from django.db import connection
from django_redis import get_redis_connection
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from adapters.messaging.kafka_client import client_config

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 1.5
ANSWER_SECONDS = 2.0


def database_ready() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def redis_ready() -> None:
    get_redis_connection("default").ping()


def broker_ready() -> None:
    # A fresh client per probe: a long-lived one would keep reconnecting (and logging) in
    # the background for as long as the broker is down.
    client = AdminClient(
        client_config(
            settings.KAFKA_BOOTSTRAP_SERVERS,
            **{"socket.timeout.ms": int(BROKER_TIMEOUT_SECONDS * 1000), "log_level": 2},
        )
    )
    client.list_topics(timeout=BROKER_TIMEOUT_SECONDS)


@dataclass(frozen=True)
class Probe:
    name: str
    decides: bool  # down means not ready; otherwise only degraded
    address: Callable[[], str]  # the answer is kept per address
    check: Callable[[], None]


def _database_address() -> str:
    db = connection.settings_dict
    return f"{db['HOST']}:{db['PORT']}/{db['NAME']}"


PROBES = [
    Probe("database", True, _database_address, database_ready),
    Probe("redis", True, lambda: str(settings.CACHES["default"]["LOCATION"]), redis_ready),
    Probe("broker", False, lambda: str(settings.KAFKA_BOOTSTRAP_SERVERS), broker_ready),
]
_answers: dict[tuple[str, str], tuple[float, str]] = {}
_lock = threading.Lock()


def _answer(probe: Probe) -> str:
    key = (probe.name, probe.address())
    with _lock:
        at, answer = _answers.get(key, (float("-inf"), ""))
        if time.monotonic() - at < ANSWER_SECONDS:
            return answer
        try:
            probe.check()
            answer = "ok"
        except Exception as exc:  # any failure means "down"; the reason is reported
            logger.warning("readiness: %s is down: %s", probe.name, exc)
            answer = f"down: {type(exc).__name__}"
        _answers[key] = (time.monotonic(), answer)
        return answer


def check_all() -> dict[str, str]:
    """'ok' or the error, per dependency."""
    return {probe.name: _answer(probe) for probe in PROBES}


def readiness(checks: dict[str, str]) -> str:
    """ "ready", "degraded" (only what does not decide is down) or "not_ready"."""
    down = {probe.name for probe in PROBES if checks[probe.name] != "ok" and probe.decides}
    if down:
        return "not_ready"
    return "degraded" if any(answer != "ok" for answer in checks.values()) else "ready"


class ReadinessCollector(Collector):
    """`dependency_up{dependency}` on /metrics: 1 when it answers (the same kept answers as
    /readyz), for the DependencyDown alert."""

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("dependency_up", "dependency_up", labels=["dependency"])

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "dependency_up", "1 when the dependency answers", labels=["dependency"]
        )
        for name, answer in check_all().items():
            family.add_metric([name], 1.0 if answer == "ok" else 0.0)
        yield family
