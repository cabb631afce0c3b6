from typing import Protocol

from domain.queue.admission import AdaptiveAdmission, BookingLatency, RateDecision
from domain.queue.model import Place, QueueSettings, QueueState, QueueStats


class Clock(Protocol):
    def now_ms(self) -> int: ...


class WaitingRoom(Protocol):
    """The queues in Redis. Each call is one round trip and atomic.

    Raises QueueNotFound when no settings are stored for the schedule, SaleClosed,
    EntryRateLimited and QueueUnavailable (Redis down).
    """

    def enter(self, *, schedule_id: int, user_id: int, client_ip: str, now_ms: int) -> Place: ...

    def place(self, *, schedule_id: int, user_id: int, now_ms: int) -> Place: ...

    def leave(self, *, schedule_id: int, user_id: int) -> bool: ...

    def touch(self, *, schedule_id: int, user_id: int, now_ms: int) -> int: ...

    def tick(self, *, schedule_id: int, now_ms: int) -> list[int]: ...

    def state(self, *, schedule_id: int, now_ms: int) -> QueueState: ...

    def store_settings(self, settings: QueueSettings, *, now_ms: int) -> None: ...

    def stats(self, *, schedule_id: int, now_ms: int) -> QueueStats: ...


class QueueSettingsSource(Protocol):
    """The database's settings of a schedule, for when Redis has lost them."""

    def settings_of(self, schedule_id: int) -> QueueSettings | None: ...


class AdmissionSteering(Protocol):
    """The adaptive admission side of the waiting room."""

    def adaptive_admission(self, *, schedule_id: int) -> tuple[AdaptiveAdmission, int] | None:
        """The target and the current rate; None unless adaptive and fans wait to enter."""
        ...

    def steer(self, *, schedule_id: int, decision: RateDecision) -> None: ...


class BookingLatencySource(Protocol):
    """How long holds and payments took recently, as all app servers saw them."""

    def recent(self, *, now_s: float, window_seconds: int) -> BookingLatency: ...
