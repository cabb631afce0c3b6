"""The outbox relay: publishes committed events to Kafka, at least once, in order per
schedule (one topic, the schedule id as the key), and marks them published only after the
broker acknowledged them.

Rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED, so several relays never publish the
same batch. For strict order per schedule across several relays, give each a shard
(`--shard i/n`): a relay then only takes the schedules with id % n == i.
"""

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]
from django.db import connection, transaction
from django.utils import timezone

from adapters.db_time import to_db
from adapters.messaging.envelope import envelope, events_topic
from adapters.messaging.kafka_client import client_config
from adapters.tracing import span

logger = logging.getLogger(__name__)

CLAIM = (
    "SELECT id, event_id, event_type, version, aggregate_id, partition_key, correlation_id, "
    "payload, occurred_at FROM outbox_event WHERE published_at IS NULL {shard} "
    "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED"
)


class DeliveryFailed(Exception):
    """The broker acknowledged none of the batch: it stays unpublished."""


def producer_config(bootstrap: str) -> dict[str, Any]:
    return client_config(
        bootstrap,
        **{
            "enable.idempotence": True,  # no duplicates or reordering from producer retries
            "acks": "all",
            "linger.ms": 5,
            "compression.type": "lz4",
            "message.timeout.ms": 15000,
            "log_level": 3,
        },
    )


def ensure_topics(bootstrap: str, *, prefix: str, partitions: int) -> None:
    """Creates the events topic if it does not exist yet (idempotent)."""
    admin = AdminClient(client_config(bootstrap, log_level=3))
    if events_topic(prefix) in admin.list_topics(timeout=10).topics:
        return
    wanted = [events_topic(prefix)]
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=partitions, replication_factor=-1) for name in wanted]
    )
    for name, future in futures.items():
        try:
            future.result(timeout=10)
        except KafkaException as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise
        logger.info("topic %s ready", name)


@dataclass
class OutboxRelay:
    bootstrap: str
    topic_prefix: str = ""
    batch: int = 500
    shard: tuple[int, int] | None = None
    flush_seconds: float = 15.0
    producer: Producer = field(init=False)

    def __post_init__(self) -> None:
        self.producer = Producer(producer_config(self.bootstrap))

    def publish_batch(self) -> int:
        """Publishes one batch; returns how many rows were marked published. A failure to
        deliver leaves the rows unpublished, for the next attempt."""
        shard_sql = ""
        if self.shard:
            index, count = self.shard
            shard_sql = f"AND MOD(CAST(partition_key AS UNSIGNED), {count:d}) = {index:d}"
        delivered: list[int] = []
        failures: list[str] = []
        topic = events_topic(self.topic_prefix)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(CLAIM.format(shard=shard_sql), [self.batch])
            rows = cursor.fetchall()
            if not rows:
                return 0
            for row_id, event_id, event_type, version, aggregate, key, corr, payload, at in rows:

                def on_delivery(error: Any, message: Any, row_id: int = row_id) -> None:
                    if error is None:
                        delivered.append(row_id)
                    else:
                        failures.append(str(error))

                with span(f"publish {event_type}", request_id=corr, event_id=str(event_id)):
                    self.producer.produce(
                        topic,
                        key=str(key).encode(),
                        value=envelope(
                            event_id=str(uuid.UUID(str(event_id))),
                            sequence=row_id,
                            event_type=event_type,
                            version=version,
                            aggregate_id=aggregate,
                            correlation_id=corr,
                            occurred_at=at,
                            payload=payload,
                        ),
                        on_delivery=on_delivery,
                    )
                self.producer.poll(0)
            if self.producer.flush(self.flush_seconds):
                # Not acknowledged in time: drop what is still queued (it stays unpublished
                # in the outbox and goes again next time) rather than send it twice later.
                self.producer.purge()
                self.producer.flush(0)
                failures.append("delivery timed out")
            if delivered:
                marks = ", ".join(["%s"] * len(delivered))
                cursor.execute(
                    f"UPDATE outbox_event SET published_at = %s WHERE id IN ({marks})",
                    [to_db(timezone.now()), *delivered],
                )
        if failures:
            logger.warning("relay: %d events not delivered (%s)", len(failures), failures[0])
            if not delivered:
                raise DeliveryFailed(failures[0])
        return len(delivered)

    def run(
        self,
        *,
        stop_after_idle: float | None = None,
        max_backoff: float = 30.0,
        stop: threading.Event | None = None,
    ) -> int:
        """Publishes until `stop` is set (or idle for `stop_after_idle` seconds), backing off
        while the broker is down and catching up after. A stop ends the loop between two
        batches: the one under way is published and marked first."""
        stop = stop or threading.Event()
        published, backoff, idle_since = 0, 0.5, time.monotonic()
        while not stop.is_set():
            try:
                count = self.publish_batch()
                backoff = 0.5
            except (KafkaException, DeliveryFailed) as exc:
                logger.warning("relay: broker unavailable (%s); retrying in %.1fs", exc, backoff)
                # A fresh producer: a broker that lost its state (or a producer id that ran
                # out) leaves the old idempotent producer failing for good.
                self.producer = Producer(producer_config(self.bootstrap))
                stop.wait(backoff)
                backoff = min(max_backoff, backoff * 2)
                continue
            published += count
            if count:
                idle_since = time.monotonic()
                continue
            if stop_after_idle is not None and time.monotonic() - idle_since > stop_after_idle:
                return published
            stop.wait(0.05)  # an indexed look for new rows: cheap, keeps the lag low
        return published
