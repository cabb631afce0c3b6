"""The benches' event pipeline (scripts/benchlib.py) as `make bench-flash-sale ARGS=--scale-out`
runs it: the relay, the `concert` consumer and a Celery worker with beat, in production
settings, the mailboxes and the ranking on a real 6-node Redis Cluster.

Every run's consumer used to join the one `ticketing.concert` group on a broker that
outlives runs. Once a member of it had left before its first join completed (a consumer
stopped within seconds of its start), Tansu kept that member as the group's leader: every
later consumer waited for an assignment that never came, without an error, and each run
said only "the event pipeline did not start", on one Redis or on the cluster.

And a pipeline that failed to start stayed running. Its processes took tasks from the next
run's Celery queue (the same Redis port) while still pointing at their own, gone, Redis
Cluster: the next run's warm-up event was drained nowhere."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer
from django.conf import settings
from redis.cluster import RedisCluster

from adapters.messaging.envelope import events_topic
from apps.concert.models import ScheduleRecord
from scripts.benchlib import EventPipeline, pipelines_sharing, production_env
from scripts.redis_cluster import redis_cluster
from tests.celery_worker import empty_celery_queues, subprocess_env
from tests.integration.test_outbox_relay import prefix  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.broker]


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_cluster(tmp_path_factory.mktemp("redis-cluster")) as url:
        yield url


@pytest.fixture
def env(cluster_url: str, prefix: str) -> dict[str, str]:  # noqa: F811
    """The scale-out run's environment, on the test database, broker and Celery queue."""
    empty_celery_queues()
    return production_env(
        DATABASE_URL=subprocess_env()["DATABASE_URL"],
        REDIS_URL=settings.CACHES["default"]["LOCATION"],
        QUEUE_REDIS_URL=cluster_url,
        QUEUE_REDIS_CLUSTER="1",
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        KAFKA_BOOTSTRAP_SERVERS=settings.KAFKA_BOOTSTRAP_SERVERS,
        KAFKA_TOPIC_PREFIX=prefix,
    )


def leave_before_the_first_join_completes(group_id: str, topics: list[str]) -> None:
    """A member that joins and is gone a second later, before the broker (which waits some
    seconds for more members) has answered its join."""
    consumer = Consumer(
        {"bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS, "group.id": group_id}
    )
    consumer.subscribe(topics)
    consumer.consume(num_messages=1, timeout=1.0)
    consumer.close()


def test_a_group_broken_by_an_earlier_run_does_not_stop_the_next_one(
    env: dict[str, str],
    prefix: str,  # noqa: F811
    make_schedule: Callable[..., ScheduleRecord],
    tmp_path: Path,
) -> None:
    schedule = make_schedule(seats=0)
    earlier = EventPipeline(env=env, workdir=tmp_path / "earlier")
    earlier.start(warm_up_schedule=schedule.id)
    earlier.stop()
    topics = [events_topic(prefix)]
    leave_before_the_first_join_completes(earlier.group_id, topics)

    # Before: the same group again, with a leader that is gone; nothing came through.
    later = EventPipeline(env=env, workdir=tmp_path / "later", warm_up_seconds=60)
    try:
        later.start(warm_up_schedule=schedule.id)
    finally:
        later.stop()


def test_a_failed_start_stops_what_it_started(
    env: dict[str, str], make_schedule: Callable[..., ScheduleRecord], tmp_path: Path
) -> None:
    schedule = make_schedule(seats=0)
    failed = EventPipeline(env=env, beat=True, workdir=tmp_path, warm_up_seconds=0)
    with pytest.raises(SystemExit, match="did not start"):
        failed.start(warm_up_schedule=schedule.id)
    assert pipelines_sharing(env) == []  # before: the relay, the consumer and the worker


def test_the_warm_up_event_goes_through_the_cluster_and_a_second_pipeline_is_refused(
    env: dict[str, str],
    cluster_url: str,
    make_schedule: Callable[..., ScheduleRecord],
    tmp_path: Path,
) -> None:
    schedule = make_schedule(seats=0)
    pipeline = EventPipeline(env=env, beat=True, workdir=tmp_path / "first")
    try:
        pipeline.start(warm_up_schedule=schedule.id)  # SystemExit if nothing came through
        cluster = RedisCluster.from_url(cluster_url)
        # The worker counted the sale (of no seats) in the cluster's ranking, through the
        # schedule's mailbox there: the drain took it out and let go of the mailbox.
        assert cluster.zscore("ranking:{r}:tickets", schedule.concert_id) == 0
        mailbox = f"events:{{s:{schedule.id}}}:concert"
        deadline = time.monotonic() + 10  # the lag is observed just before the drain ends
        while cluster.exists(f"{mailbox}:pending", f"{mailbox}:drain"):
            assert time.monotonic() < deadline, "the drain kept the mailbox"
            time.sleep(0.05)
        assert pipeline.lag()["count"] == 0  # the warm-up itself is not measured

        second = EventPipeline(env=env, workdir=tmp_path / "second")
        with pytest.raises(SystemExit, match="another bench run") as refused:
            second.start(warm_up_schedule=schedule.id)
        assert "consume_events" in str(refused.value)
        assert second.processes == []
    finally:
        pipeline.stop()
    assert pipelines_sharing(env) == []
