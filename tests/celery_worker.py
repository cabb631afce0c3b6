"""Real app processes (a Celery worker, or any manage.py command) on the test database,
Redis and broker, that a test can start, SIGKILL and start again."""

import os
import signal
import subprocess
import sys
from urllib.parse import quote

import redis
from django.conf import settings
from django.db import connection


def empty_celery_queues() -> None:
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for a process of the app that must see this test's database."""
    db = connection.settings_dict  # the test database, not the development one
    url = (
        f"mysql://{quote(db['USER'])}:{quote(db['PASSWORD'])}@{db['HOST']}:{db['PORT']}"
        f"/{db['NAME']}"
    )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": url,
        "KAFKA_TOPIC_PREFIX": settings.KAFKA_TOPIC_PREFIX,
        **extra,
    }


class CeleryWorker:
    def __init__(self, *, concurrency: int = 2, **env: str) -> None:
        self.concurrency = concurrency
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "CeleryWorker":
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=prefork",
                f"--concurrency={self.concurrency}",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
            env=subprocess_env(**self.env),
            # Its own process group: SIGKILL takes the pool processes with the main one.
            start_new_session=True,
        )
        return self

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a lost machine would: no ack, no goodbye."""
        if self.process:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def stop(self) -> None:
        if self.process:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
            self.process = None
