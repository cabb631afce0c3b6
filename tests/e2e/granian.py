"""A real granian server on the test database, for the end-to-end tests."""

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from tests.celery_worker import subprocess_env
from tests.network import free_port

ROOT = Path(__file__).resolve().parents[2]
GRANIAN = Path(sys.executable).parent / "granian"


def server_env(**extra: str) -> dict[str, str]:
    return subprocess_env(TEST_REDIS_URL=settings.CACHES["default"]["LOCATION"], **extra)


@contextmanager
def running_granian(
    *,
    workers: int = 1,
    threads: int = 1,
    env: dict[str, str] | None = None,
    static_root: Path | None = None,
) -> Iterator[str]:
    """Yields "127.0.0.1:<port>" once /healthz answers; stops the server after. With
    `static_root` (collected static files) it serves /static/ too, as `make run` does."""
    port = free_port()
    static = (
        ["--static-path-route", "/static", "--static-path-mount", str(static_root)]
        if static_root
        else []
    )
    process = subprocess.Popen(
        [str(GRANIAN), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--blocking-threads", str(threads), *static,
         "config.wsgi:application"],
        cwd=ROOT, env=env or server_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    address = f"127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://{address}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("granian did not start")
        yield address
    finally:
        process.terminate()
        process.wait(timeout=10)
