"""In-process reactions to domain events (adapters/messaging/outbox.py): they run once the
change has committed, never for a rollback, and one that fails stops neither the others
nor the change."""

import pytest
from django.db import transaction

from adapters.messaging.outbox import OutboxEventLog
from apps.events.models import OutboxEventRecord
from domain.events import DomainEvent
from domain.reservation.events import HoldExpired

pytestmark = pytest.mark.django_db(transaction=True)


def expired(reservation_id: int) -> HoldExpired:
    return HoldExpired(schedule_id=1, reservation_id=reservation_id, seat_ids=(7,))


def test_reactions_run_after_commit_and_never_for_a_rollback() -> None:
    seen: list[tuple[str, int]] = []

    def broken(event: DomainEvent) -> None:
        raise RuntimeError("a reaction that fails")

    def react(event: DomainEvent) -> None:
        seen.append((event.type, event.aggregate_id))

    log = OutboxEventLog(after_commit=[broken, react])
    with transaction.atomic():
        log.record(expired(1))
        assert seen == []  # not before the commit
    assert seen == [("reservation.expired", 1)]  # the broken one did not stop it

    with pytest.raises(ZeroDivisionError), transaction.atomic():
        log.record(expired(2))
        1 / 0  # noqa: B018
    assert seen == [("reservation.expired", 1)]
    assert list(OutboxEventRecord.objects.values_list("aggregate_id", flat=True)) == ["1"]
