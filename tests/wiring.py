"""Forgetting the process-wide objects built once (functools.cache) around Redis clients, so
that a test can point them at another Redis and back."""

from types import ModuleType

from adapters.queue import connection
from apps.events import handlers
from apps.queue import wiring as queue_wiring
from apps.reservation import wiring as reservation_wiring

MODULES: tuple[ModuleType, ...] = (connection, handlers, queue_wiring, reservation_wiring)


def forget_wired_clients() -> None:
    for module in MODULES:
        for value in vars(module).values():
            clear = getattr(value, "cache_clear", None)
            if callable(clear):
                clear()
