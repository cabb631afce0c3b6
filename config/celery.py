"""The Celery app: broker on Redis, tasks found in every Django app's tasks.py."""

import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("ticketing")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def trace_this_worker(**_: Any) -> None:
    """Each worker process gets its own tracer provider (off unless OTEL_TRACING=1)."""
    from apps.ops.tracing import configure_tracing

    configure_tracing("worker")


worker_process_init.connect(trace_this_worker, weak=False)
