"""Running work in real threads against the real database, released together."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connection


def in_threads(count: int, work: Callable[[int], Any], *, workers: int | None = None) -> list[Any]:
    """Runs `work(i)` for i in range(count) on `workers` threads (default: one each). The
    first wave starts together at a barrier; each thread uses its own DB connection. An
    exception is returned in place of the result."""
    start = threading.Barrier(min(count, workers or count))

    def one(i: int) -> Any:
        try:
            if i < start.parties:
                start.wait()
            return work(i)
        except Exception as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers or count) as pool:
        return list(pool.map(one, range(count)))
