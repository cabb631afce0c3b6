"""The broker is stopped for a minute in the middle of a sale (FAULT_BROKER_SECONDS, 60).
Fans never notice: the broker is not on any request path. The outbox grows, the relay backs
off and, once the broker is back, drains it: every event delivered, and each effect (tickets
counted in the ranking) once, even when events arrive twice."""

import json
import os
import threading
import time
from collections.abc import Callable

import pytest

from adapters.concert.ranking import TICKETS_KEY
from adapters.messaging.envelope import events_topic
from adapters.messaging.relay import OutboxRelay, ensure_topics
from apps.concert.models import ScheduleRecord
from apps.events.handlers import ranking
from apps.events.models import OutboxEventRecord
from apps.events.tasks import handle_event
from tests.conftest import AdmittedFan
from tests.faults.sale import assert_sale_survived, sale_through
from tests.integration.test_broker_outage import Broker, broker  # noqa: F401  (fixture)
from tests.kafka_reader import read_messages
from tests.wiring import forget_wired_clients

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.broker, pytest.mark.faults]

OUTAGE_SECONDS = float(os.environ.get("FAULT_BROKER_SECONDS", "60"))


def test_a_minute_without_the_broker_loses_nothing(
    broker: Broker,  # noqa: F811
    make_schedule: Callable[..., ScheduleRecord],
    admit: Callable[..., AdmittedFan],
) -> None:
    forget_wired_clients()
    ranking().client.delete(TICKETS_KEY)
    ensure_topics(broker.bootstrap, prefix="", partitions=3)
    schedule = make_schedule(seats=60, max_active=50)
    fans = [admit(schedule) for _ in range(6)]
    relay = OutboxRelay(bootstrap=broker.bootstrap, flush_seconds=2.0)
    relayed = threading.Thread(target=relay.run, kwargs={"stop_after_idle": 5, "max_backoff": 2})
    relayed.start()

    backlog: set[str] = set()
    before_outage: set[str] = set()

    def fault() -> None:
        time.sleep(2)
        broker.stop()  # the rest of the sale happens without it
        published = OutboxEventRecord.objects.filter(published_at__isnull=False)
        before_outage.update(str(e) for e in published.values_list("event_id", flat=True))
        time.sleep(OUTAGE_SECONDS)
        waiting = OutboxEventRecord.objects.filter(published_at__isnull=True)
        backlog.update(str(e) for e in waiting.values_list("event_id", flat=True))
        broker.start()  # memory storage: it comes back empty
        ensure_topics(broker.bootstrap, prefix="", partitions=3)

    assert_sale_survived(sale_through(fault, fans, schedule, seconds=8))
    relayed.join(120)
    assert not relayed.is_alive()
    del relayed, relay  # its producer would keep calling the first broker's port

    assert backlog, "the sale went on during the outage, so events waited in the outbox"
    assert not OutboxEventRecord.objects.filter(published_at__isnull=True).exists()
    # The broker came back empty: what it holds now is what was published after it returned.
    expected = OutboxEventRecord.objects.exclude(event_id__in=before_outage).count()
    after_restart = read_messages(
        [events_topic("")], expected, bootstrap=broker.bootstrap, timeout=30
    )
    envelopes = [json.loads(m.value()) for m in after_restart]
    received = {e["event_id"] for e in envelopes}
    assert backlog <= received  # every event that waited out the outage
    assert OutboxEventRecord.objects.filter(event_id__in=received).count() == len(received)

    # Every effect once: each event handled twice still counts its tickets once.
    for envelope in envelopes + envelopes:
        handle_event.apply(args=["concert", envelope["type"], envelope])
    sign = {"payment.succeeded": 1, "payment.refunded": -1}
    net = sum(sign.get(e["type"], 0) * len(e["payload"]["seat_ids"]) for e in envelopes)
    counted = ranking().client.zscore(TICKETS_KEY, schedule.concert_id) or 0
    assert int(counted) == net  # sales minus refunds, each counted once
