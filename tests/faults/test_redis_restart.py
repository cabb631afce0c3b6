"""Redis is killed (SIGKILL) and started again in the middle of a sale. It keeps its data in
an append-only file, as in production, so places, slots and seat locks survive the restart.
While it is down fans get 503 with Retry-After; never a 500, never an oversold seat, never a
lost point."""

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.test import override_settings

from apps.concert.models import ScheduleRecord
from tests.conftest import AdmittedFan
from tests.faults.sale import assert_a_sale_survives
from tests.network import free_port
from tests.wiring import forget_wired_clients

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.faults]


class OwnRedis:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.workdir),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    caches = {"default": {**settings.CACHES["default"], "LOCATION": server.url}}
    with override_settings(QUEUE_REDIS_URL=server.url, CACHES=caches):
        forget_wired_clients()
        yield server
    server.kill()
    forget_wired_clients()


def test_a_sale_goes_on_through_a_redis_restart(
    own_redis: OwnRedis,
    make_schedule: Callable[..., ScheduleRecord],
    admit: Callable[..., AdmittedFan],
) -> None:
    schedule = make_schedule(seats=40, max_active=50)

    def fault() -> None:
        time.sleep(1.5)
        own_redis.kill()
        time.sleep(1.5)  # down
        own_redis.start()

    assert_a_sale_survives(fault, schedule=schedule, fans=[admit(schedule) for _ in range(8)])
