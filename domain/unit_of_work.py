"""The transaction a use case runs in, as a port: the domain says what belongs together, the
adapter decides how a database keeps it together."""

from collections.abc import Callable
from typing import Protocol, TypeVar

T = TypeVar("T")


class UnitOfWork(Protocol):
    def run(self, work: Callable[[], T]) -> T:
        """Runs `work` as one transaction: all it changed through the ports commits when it
        returns, none of it when it raises. A transaction that lost a lock race may run
        again from the start, so `work` reads and writes only through ports."""
        ...
