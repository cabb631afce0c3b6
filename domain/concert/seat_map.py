"""The seat map fans read follows the booking events as they commit: one reaction for every
use case that holds, frees or sells seats, instead of a call in each of them."""

from dataclasses import dataclass

from domain.concert.ports import SeatMap
from domain.events import DomainEvent
from domain.payment.events import PaymentSucceeded
from domain.reservation.events import HoldExpired, ReservationCancelled, SeatsHeld


@dataclass(frozen=True)
class PatchSeatMap:
    """Run for each event once its unit of work has committed (in the process that made the
    change, so the fan's very next read shows it, not after the consumers' lag). A refund
    frees its seats through its reservation.cancelled; payment.refunded adds nothing."""

    seat_map: SeatMap

    def __call__(self, event: DomainEvent) -> None:
        if isinstance(event, SeatsHeld):
            self.seat_map.seats_held(schedule_id=event.schedule_id, seat_ids=event.seat_ids)
        elif isinstance(event, PaymentSucceeded):
            self.seat_map.seats_sold(schedule_id=event.schedule_id, seat_ids=event.seat_ids)
        elif isinstance(event, HoldExpired | ReservationCancelled):
            self.seat_map.seats_freed(schedule_id=event.schedule_id, seat_ids=event.seat_ids)
