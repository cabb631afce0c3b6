from dataclasses import dataclass

from domain.concert.events import ScheduleCancelled
from domain.concert.ports import Schedules
from domain.events import EventLog
from domain.unit_of_work import UnitOfWork


@dataclass(frozen=True, kw_only=True)
class CancelSchedule:
    """An operator cancels a show: it is marked cancelled (its waiting room closes) and
    `schedule.cancelled` is recorded, in one unit of work; the refund saga reacts to the
    event. Returns False when it was cancelled already: nothing is recorded twice."""

    uow: UnitOfWork
    schedules: Schedules
    events: EventLog

    def __call__(self, *, schedule_id: int) -> bool:
        return self.uow.run(lambda: self._cancel(schedule_id))

    def _cancel(self, schedule_id: int) -> bool:
        concert_id = self.schedules.cancel(schedule_id=schedule_id)
        if concert_id is None:
            return False
        self.events.record(ScheduleCancelled(schedule_id=schedule_id, concert_id=concert_id))
        return True
