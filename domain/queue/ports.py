from typing import Protocol

from domain.queue.admission import AdaptiveAdmission, BookingLatency, RateDecision
from domain.queue.model import Place, QueueSettings, QueueState, QueueStats, SeatsLeft


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

    def tick(self, *, schedule_id: int, now_ms: int, seats: SeatsLeft | None = None) -> list[int]:
        """One admission step; `seats` (counted in the database) bound it, or the last
        count stands when None."""
        ...

    def known_schedules(self) -> list[int]: ...

    def state(self, *, schedule_id: int, now_ms: int) -> QueueState: ...

    def store_settings(self, settings: QueueSettings, *, now_ms: int) -> None: ...

    def stats(self, *, schedule_id: int, now_ms: int) -> QueueStats: ...


class LineStates(Protocol):
    """The state of each line as this process last read it, at most about a second old."""

    def current(self, *, schedule_id: int) -> QueueState:
        """Raises QueueNotFound and QueueUnavailable as WaitingRoom.state does."""
        ...


class Heartbeats(Protocol):
    """Heartbeats an app server answers on its own, recorded in the waiting room in
    batches, about once a second; and the fans this process has learnt have no place."""

    def record(self, *, schedule_id: int, user_id: int) -> None: ...

    def known_lost(self, *, schedule_id: int, user_id: int) -> bool:
        """A batch found no place for the fan, or the fan left through this process."""
        ...

    def mark_lost(self, *, schedule_id: int, user_id: int) -> None: ...

    def forget_lost(self, *, schedule_id: int, user_id: int) -> None: ...


class QueueSettingsSource(Protocol):
    """The database's settings of a schedule, for when Redis has lost them."""

    def settings_of(self, schedule_id: int) -> QueueSettings | None: ...


class AdmissionSteering(Protocol):
    """The adaptive admission side of the waiting room."""

    def adaptive_admission(self, *, schedule_id: int) -> tuple[AdaptiveAdmission, int] | None:
        """The target and the current rate; None unless adaptive and fans wait to enter."""
        ...

    def steer(
        self,
        *,
        schedule_id: int,
        decision: RateDecision,
        slots: int,
        growth_per_second: float,
        limit: int,
    ) -> None:
        """Puts the decision in force with the fans that may be admitted at once at its rate,
        and how fast the rate is expected to grow and up to where (for the ETA)."""
        ...


class BookingLatencySource(Protocol):
    """How long holds and payments took recently, as all app servers saw them."""

    def recent(self, *, now_s: float, window_seconds: int) -> BookingLatency: ...


class SeatInventory(Protocol):
    """The seats left of each schedule, from the database (the source of truth)."""

    def seats_left(self, *, schedule_ids: list[int]) -> dict[int, SeatsLeft]:
        """The schedules asked for whose sale has not closed (one without seats has none
        left); a closed or unknown one is left out, and its last count stands. Raises
        DependencyUnavailable when the database cannot be read."""
        ...
