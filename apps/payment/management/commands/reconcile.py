"""Checks invariants 1 and 2 of the architecture over the whole database.

    manage.py reconcile        exits 1 and names the rows when one is broken

1. A seat is sold at most once, never HELD and SOLD for two reservations: every sold seat
   belongs to a confirmed reservation that lists it; every held seat to a held reservation
   that lists it; no seat is listed by two live reservations.
2. Money is conserved: each wallet's balance equals its signed ledger; charges - payments +
   refunds equals the sum of balances; every succeeded payment has its ledger debit, and
   every refunded one its credit.
3. A cancelled show refunds everyone: no schedule cancelled more than
   SAGA_GRACE_MINUTES ago still has a held or confirmed reservation (a refund saga that
   stopped, say its event dead-lettered; the periodic sweep finishes it).
"""

import json
from collections import defaultdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


def _rows(sql: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


SOLD_WITHOUT_CONFIRMED = """
SELECT s.id, s.reservation_id, r.status FROM seat s
LEFT JOIN reservation r ON r.id = s.reservation_id
WHERE s.status = 'sold' AND (r.id IS NULL OR r.status <> 'confirmed'
                             OR NOT JSON_CONTAINS(r.seat_ids, CAST(s.id AS CHAR)))
"""
HELD_WITHOUT_HOLD = """
SELECT s.id, s.reservation_id, r.status FROM seat s
LEFT JOIN reservation r ON r.id = s.reservation_id
WHERE s.status = 'held' AND (r.id IS NULL OR r.status <> 'held'
                             OR NOT JSON_CONTAINS(r.seat_ids, CAST(s.id AS CHAR)))
"""
CONFIRMED_SEATS = """
SELECT r.id, r.seat_ids FROM reservation r WHERE r.status = 'confirmed'
"""
WALLET_VS_LEDGER = """
SELECT w.user_id, w.balance, COALESCE(SUM(CASE l.kind WHEN 'payment' THEN -l.amount
                                                     ELSE l.amount END), 0) AS ledger
FROM wallet w LEFT JOIN ledger_entry l ON l.user_id = w.user_id
GROUP BY w.user_id, w.balance HAVING w.balance <> ledger
"""
TOTALS = """
SELECT (SELECT COALESCE(SUM(amount), 0) FROM ledger_entry WHERE kind = 'charge'),
       (SELECT COALESCE(SUM(amount), 0) FROM ledger_entry WHERE kind = 'payment'),
       (SELECT COALESCE(SUM(amount), 0) FROM ledger_entry WHERE kind = 'refund'),
       (SELECT COALESCE(SUM(balance), 0) FROM wallet)
"""
PAYMENT_WITHOUT_DEBIT = """
SELECT p.id, p.reservation_id FROM payment p
WHERE NOT EXISTS (SELECT 1 FROM ledger_entry l WHERE l.user_id = p.user_id
                  AND l.kind = 'payment' AND l.amount = p.amount
                  AND l.reference = CONCAT('reservation ', p.reservation_id))
"""
REFUND_WITHOUT_CREDIT = """
SELECT p.id, p.reservation_id FROM payment p WHERE p.status = 'refunded'
AND NOT EXISTS (SELECT 1 FROM ledger_entry l WHERE l.user_id = p.user_id
                AND l.kind = 'refund' AND l.amount = p.amount
                AND l.reference = CONCAT('reservation ', p.reservation_id))
"""

SAGA_GRACE_MINUTES = 10
UNFINISHED_SAGA = f"""
SELECT s.id, COUNT(r.id) FROM schedule s
JOIN reservation r ON r.schedule_id = s.id AND r.status IN ('held', 'confirmed')
WHERE s.status = 'cancelled' AND NOT EXISTS (
  SELECT 1 FROM outbox_event e WHERE e.event_type = 'schedule.cancelled'
  AND CAST(e.partition_key AS UNSIGNED) = s.id
  AND e.occurred_at > UTC_TIMESTAMP(6) - INTERVAL {SAGA_GRACE_MINUTES} MINUTE)
GROUP BY s.id
"""


def find_violations() -> list[str]:
    problems: list[str] = []
    for seat, reservation, status in _rows(SOLD_WITHOUT_CONFIRMED):
        problems.append(f"seat {seat} is sold but reservation {reservation} is {status}")
    for seat, reservation, status in _rows(HELD_WITHOUT_HOLD):
        problems.append(f"seat {seat} is held for reservation {reservation} ({status})")
    owners: dict[int, list[int]] = defaultdict(list)
    for reservation, seat_ids in _rows(CONFIRMED_SEATS):
        for seat in json.loads(seat_ids) if isinstance(seat_ids, str) else seat_ids:
            owners[int(seat)].append(int(reservation))
    for seat, reservations in owners.items():
        if len(reservations) > 1:
            problems.append(f"seat {seat} is sold to reservations {sorted(reservations)}")
    for user, balance, ledger in _rows(WALLET_VS_LEDGER):
        problems.append(f"wallet of user {user}: balance {balance} but ledger sums to {ledger}")
    charges, payments, refunds, balances = _rows(TOTALS)[0]
    if charges - payments + refunds != balances:
        problems.append(
            f"money: charges {charges} - payments {payments} + refunds {refunds} "
            f"!= balances {balances}"
        )
    for payment, reservation in _rows(PAYMENT_WITHOUT_DEBIT):
        problems.append(f"payment {payment} (reservation {reservation}) has no ledger debit")
    for payment, reservation in _rows(REFUND_WITHOUT_CREDIT):
        problems.append(f"refunded payment {payment} (reservation {reservation}) has no credit")
    for schedule, live in _rows(UNFINISHED_SAGA):
        problems.append(
            f"schedule {schedule} is cancelled but {live} reservation(s) are still held or "
            "paid: the refund saga did not finish"
        )
    return problems


class Command(BaseCommand):
    help = "Check that no seat is sold twice and that points are conserved."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = find_violations()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} invariant violation(s)")
        self.stdout.write(self.style.SUCCESS("reconcile: seats and money are consistent"))
