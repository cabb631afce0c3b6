"""What the concert module announces (docs/EVENTS.md lists the payloads)."""

from dataclasses import dataclass

from domain.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class ScheduleCancelled(DomainEvent):
    """The start of the refund saga."""

    type = "schedule.cancelled"
    aggregate = "schedule_id"
    concert_id: int
