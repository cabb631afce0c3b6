"""Is each dependency reachable right now? Each probe answers within about a second or two."""

import logging
from collections.abc import Callable

from confluent_kafka.admin import AdminClient
from django.conf import settings
from django.db import connection
from django_redis import get_redis_connection

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 1.5


def database_ready() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def redis_ready() -> None:
    get_redis_connection("default").ping()


def broker_ready() -> None:
    # A fresh client per probe: a long-lived one would keep reconnecting (and logging) in
    # the background for as long as the broker is down.
    client = AdminClient(
        {
            "bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS,
            "socket.timeout.ms": int(BROKER_TIMEOUT_SECONDS * 1000),
            "log_level": 2,
        }
    )
    client.list_topics(timeout=BROKER_TIMEOUT_SECONDS)


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
