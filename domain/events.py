"""Domain events: what happened, declared once as dataclasses, recorded with the change.

The `type` is the name on the wire (topic and envelope); the fields are the payload, in
this order. Each module declares its events in its own `events.py`.
"""

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar, Protocol


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    type: ClassVar[str]
    # The field whose value identifies the aggregate the event is about.
    aggregate: ClassVar[str]
    schedule_id: int

    @property
    def aggregate_id(self) -> int:
        return int(getattr(self, self.aggregate))

    def payload(self) -> dict[str, Any]:
        """JSON-ready: tuples become lists, times ISO 8601."""
        return {field.name: _plain(getattr(self, field.name)) for field in fields(self)}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class EventLog(Protocol):
    def record(self, event: DomainEvent) -> None:
        """Adds the event inside the unit of work of the change it announces, so that the
        event exists exactly when the change does."""
        ...
