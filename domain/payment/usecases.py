from dataclasses import dataclass

from domain.payment.model import PaymentReceipt
from domain.payment.ports import ActiveSlots, PaymentStore
from domain.reservation.ports import Clock, SeatMap


@dataclass(frozen=True, kw_only=True)
class PayForReservation:
    """Pays for the fan's hold with points.

    Guarantees: points move only together with the seats being sold (one transaction); a
    hold that expired before the payment is refused before any point moves; a reservation
    is paid at most once; after commit the fan's waiting-room slot is released and the seat
    map shows the seats sold.
    Idempotency (same key → same answer) is the caller's, at the HTTP boundary.
    """

    payments: PaymentStore
    slots: ActiveSlots
    seat_map: SeatMap
    clock: Clock

    def __call__(self, *, user_id: int, reservation_id: int, schedule_id: int) -> PaymentReceipt:
        receipt = self.payments.pay(
            user_id=user_id, reservation_id=reservation_id, now=self.clock.now()
        )
        self.slots.release(schedule_id=schedule_id, user_id=user_id)
        self.seat_map.seats_sold(schedule_id=schedule_id, seat_ids=receipt.seat_ids)
        return receipt
