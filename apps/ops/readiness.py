"""Is each dependency reachable right now? Each probe answers within about a second or two."""

import logging
import threading
import time
from collections.abc import Callable

from confluent_kafka.admin import AdminClient
from django.conf import settings
from django.db import connection
from django_redis import get_redis_connection

from adapters.messaging.kafka_client import client_config

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 1.5
# A probe every second or two from each load balancer must not build a Kafka client each
# time: the broker's answer is kept this long, per bootstrap address.
BROKER_ANSWER_SECONDS = 2.0
_broker_answers: dict[str, tuple[float, Exception | None]] = {}
_broker_lock = threading.Lock()


def database_ready() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def redis_ready() -> None:
    get_redis_connection("default").ping()


def broker_ready() -> None:
    bootstrap = settings.KAFKA_BOOTSTRAP_SERVERS
    with _broker_lock:
        at, error = _broker_answers.get(bootstrap, (float("-inf"), None))
        if time.monotonic() - at >= BROKER_ANSWER_SECONDS:
            error = _probe_broker(bootstrap)
            _broker_answers[bootstrap] = (time.monotonic(), error)
    if error is not None:
        raise error


def _probe_broker(bootstrap: str) -> Exception | None:
    # A fresh client per probe: a long-lived one would keep reconnecting (and logging) in
    # the background for as long as the broker is down.
    client = AdminClient(
        client_config(
            bootstrap, **{"socket.timeout.ms": int(BROKER_TIMEOUT_SECONDS * 1000), "log_level": 2}
        )
    )
    try:
        client.list_topics(timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:  # whatever it is, the broker is not usable: kept and reported
        return exc
    return None


PROBES: dict[str, Callable[[], None]] = {
    "database": database_ready,
    "redis": redis_ready,
    "broker": broker_ready,
}


def check_all() -> dict[str, str]:
    """'ok' or the error, per dependency."""
    results = {}
    for name, probe in PROBES.items():
        try:
            probe()
            results[name] = "ok"
        except Exception as exc:  # any failure means "not ready"; the reason is reported
            logger.warning("readiness: %s is down: %s", name, exc)
            results[name] = f"down: {type(exc).__name__}"
    return results
