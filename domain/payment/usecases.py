from dataclasses import dataclass

from domain.payment.model import IdempotencyClaim, PaymentReceipt, StoredAnswer
from domain.payment.ports import ActiveSlots, PaymentStore, RenderReceipt
from domain.reservation.ports import Clock, SeatMap


@dataclass(frozen=True, kw_only=True)
class PayForReservation:
    """Pays for the fan's hold with points.

    Guarantees: points move only together with the seats being sold (one transaction); a
    hold that expired before the payment is refused before any point moves; a reservation
    is paid at most once; the key's answer commits with the payment, so a key answers
    the same whatever crashes; after commit the fan's waiting-room slot is released and the
    seat map shows the seats sold. A key that already has an answer gets it back
    (StoredAnswer), and nothing else happens.
    """

    payments: PaymentStore
    slots: ActiveSlots
    seat_map: SeatMap
    clock: Clock

    def __call__(
        self,
        *,
        claim: IdempotencyClaim,
        reservation_id: int,
        schedule_id: int,
        render: RenderReceipt,
    ) -> PaymentReceipt | StoredAnswer:
        outcome = self.payments.pay(
            claim=claim,
            reservation_id=reservation_id,
            schedule_id=schedule_id,
            now=self.clock.now(),
            render=render,
        )
        if isinstance(outcome, PaymentReceipt):
            self.slots.release(schedule_id=schedule_id, user_id=claim.user_id)
            self.seat_map.seats_sold(schedule_id=schedule_id, seat_ids=outcome.seat_ids)
        return outcome
