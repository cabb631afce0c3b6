"""The unit of work on the database: one transaction, run again a bounded number of times
when it lost a lock race."""

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.db import OperationalError, connection, transaction

logger = logging.getLogger(__name__)

# MariaDB/MySQL: 1205 lock wait timeout, 1213 deadlock. Both roll the transaction back.
RETRYABLE = {1205, 1213}
P = ParamSpec("P")
T = TypeVar("T")


def retry_lock_conflicts(attempts: int = 3) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Runs the whole transaction again after a deadlock or lock wait timeout; after
    `attempts` the error goes up and becomes a 409 with Retry-After (apps.http.problems).
    The decorated function must open its own transaction."""

    def decorate(function: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(function)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> T:
            for attempt in range(1, attempts + 1):
                try:
                    return function(*args, **kwargs)
                except OperationalError as exc:
                    if exc.args[0] not in RETRYABLE or attempt == attempts:
                        raise
                    logger.info(
                        "%s: lock conflict %s, attempt %d", function.__name__, exc.args[0], attempt
                    )
                    time.sleep(random.uniform(0.005, 0.03) * attempt)
            raise AssertionError("unreachable")

        return wrapped

    return decorate


class DatabaseUnitOfWork:
    """domain.unit_of_work.UnitOfWork on the Django connection: `work` runs in one
    transaction (a savepoint inside an outer one), run again after a deadlock or a lock
    wait timeout, at most three times in all."""

    def run(self, work: Callable[[], T]) -> T:
        return _in_transaction(work)


@retry_lock_conflicts()
def _in_transaction(work: Callable[[], T]) -> T:
    with transaction.atomic():
        return work()


def require_unit_of_work() -> None:
    """Adapters that change rows refuse to run outside a transaction: a change without the
    rest of its unit (a balance without its ledger entry, seats without their reservation)
    would break an invariant."""
    if not connection.in_atomic_block:
        raise RuntimeError("this change belongs inside a unit of work")


def unit_of_work_cursor() -> Any:
    require_unit_of_work()
    return connection.cursor()
