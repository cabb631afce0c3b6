"""How every Kafka client of ours connects: the bootstrap servers, plus TLS and SASL on a
cluster that asks for them (settings.KAFKA_SECURITY, from the KAFKA_SECURITY_PROTOCOL,
KAFKA_SASL_* and KAFKA_SSL_CA_LOCATION variables; empty ones are left out, so a local
broker needs none)."""

from typing import Any

from django.conf import settings


def client_config(bootstrap: str, **extra: Any) -> dict[str, Any]:
    security = {k: v for k, v in getattr(settings, "KAFKA_SECURITY", {}).items() if v}
    return {"bootstrap.servers": bootstrap, **security, **extra}
