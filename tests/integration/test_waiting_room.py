"""The waiting room's scripts against the real Redis, with the clock in the test's hands."""

import math
import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from itertools import count
from typing import Any

import pytest
import redis
from django.conf import settings
from redis.cluster import RedisCluster

from adapters.queue.redis import RedisWaitingRoom, schedule_keys
from adapters.reservation.redis import RedisSeatLocks
from domain.concert.model import SaleClosed
from domain.queue.admission import (
    AdaptiveAdmission,
    RateDecision,
    RateReason,
)
from domain.queue.model import (
    EntryRateLimited,
    NotInQueue,
    PlaceState,
    QueueNotFound,
    QueuePhase,
    QueueSettings,
    QueueUnavailable,
    SeatsLeft,
)
from domain.reservation.model import FanGate
from scripts.redis_cluster import redis_cluster

T0 = 1_900_000_000_000  # ms; the tests move time by hand
_schedule_ids = count(900_000)


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_cluster(tmp_path_factory.mktemp("redis-cluster")) as url:
        yield url


@pytest.fixture(params=["server", "cluster"])
def client(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Every test runs on a plain Redis and, unchanged, on a real 6-node Redis Cluster."""
    if request.param == "cluster":
        connection: Any = RedisCluster.from_url(request.getfixturevalue("cluster_url"))
    else:
        connection = redis.Redis.from_url(settings.QUEUE_REDIS_URL)
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


@pytest.fixture
def room(client: Any) -> RedisWaitingRoom:
    return RedisWaitingRoom(client, user_rate=0, user_burst=0, ip_rate=0, ip_burst=0)


MakeQueue = Callable[..., int]


@pytest.fixture
def make_queue(room: RedisWaitingRoom) -> MakeQueue:
    def make(
        *,
        opens: int = T0 - 1000,
        closes: int = T0 + 86_400_000,
        max_active: int = 10_000,
        rate: int = 1000,
        abandon_ms: int = 60_000,
        active_ttl_ms: int = 300_000,
        heartbeat_ms: int = 3_000,
    ) -> int:
        schedule_id = next(_schedule_ids)
        room.store_settings(
            QueueSettings(
                schedule_id=schedule_id,
                opens_at=at(opens),
                closes_at=at(closes),
                max_active=max_active,
                admit_per_second=rate,
                abandon_after_seconds=abandon_ms // 1000,
                active_ttl_seconds=active_ttl_ms // 1000,
                heartbeat_seconds=heartbeat_ms // 1000,
            ),
            now_ms=T0,
        )
        return schedule_id

    return make


def enter(room: RedisWaitingRoom, schedule_id: int, user: int, now: int = T0) -> object:
    return room.enter(schedule_id=schedule_id, user_id=user, client_ip="127.0.0.1", now_ms=now)


def line_up(room: RedisWaitingRoom, schedule_id: int, fans: int) -> None:
    """Users 1..fans enter in that order while admission is paused, then it resumes: a line
    of `fans` with nobody admitted yet."""
    room.set_paused(schedule_id=schedule_id, paused=True)
    for user in range(1, fans + 1):
        enter(room, schedule_id, user)
    room.set_paused(schedule_id=schedule_id, paused=False)


def test_ten_thousand_concurrent_fans_are_admitted_in_entry_order(
    room: RedisWaitingRoom, make_queue: MakeQueue
) -> None:
    schedule = make_queue(rate=2000, max_active=100_000)
    # Admission happens lazily inside enter too; pause it so that only the ticks admit.
    room.set_paused(schedule_id=schedule, paused=True)
    fans = list(range(1, 10_001))
    entries: dict[int, int] = {}
    lock = threading.Lock()

    def enter_many(chunk: list[int]) -> None:
        for user in chunk:
            place = room.enter(schedule_id=schedule, user_id=user, client_ip="1.2.3.4", now_ms=T0)
            with lock:
                entries[user] = place.entry_number

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(enter_many, [fans[i::16] for i in range(16)]))
    assert sorted(entries.values()) == fans  # every fan got one distinct entry number

    room.set_paused(schedule_id=schedule, paused=False)
    admitted: list[int] = []
    now = T0
    while len(admitted) < len(fans):
        now += 1000
        batch = room.tick(schedule_id=schedule, now_ms=now)
        assert len(batch) <= 2000  # the rate
        admitted += batch
        assert now < T0 + 60_000
    assert [entries[user] for user in admitted] == fans


def test_entering_again_keeps_the_place(room: RedisWaitingRoom, make_queue: MakeQueue) -> None:
    schedule = make_queue(max_active=1, rate=1)
    first = enter(room, schedule, 1)
    second = enter(room, schedule, 2)
    third = enter(room, schedule, 3)
    assert first.state is PlaceState.ADMITTED  # type: ignore[attr-defined]
    assert (second.position, third.position) == (1, 2)  # type: ignore[attr-defined]
    again = enter(room, schedule, 2, now=T0 + 10)
    assert again.created is False and again.position == 1  # type: ignore[attr-defined]
    assert again.entry_number == second.entry_number  # type: ignore[attr-defined]
    assert enter(room, schedule, 1, now=T0 + 20).state is PlaceState.ADMITTED  # type: ignore[attr-defined]


def test_abandoned_places_are_dropped_and_admission_goes_on(
    room: RedisWaitingRoom, make_queue: MakeQueue
) -> None:
    schedule = make_queue(max_active=1, rate=100, abandon_ms=10_000)
    for user in (1, 2, 3, 4):
        enter(room, schedule, user)  # 1 is admitted; 2, 3, 4 wait
    room.place(schedule_id=schedule, user_id=4, now_ms=T0 + 9_000)  # 4 keeps polling
    # 3 came back within the window: the place is kept.
    assert enter(room, schedule, 3, now=T0 + 9_500).position == 2  # type: ignore[attr-defined]
    room.leave(schedule_id=schedule, user_id=1)

    admitted = room.tick(schedule_id=schedule, now_ms=T0 + 15_000)
    stats = room.stats(schedule_id=schedule, now_ms=T0 + 15_000)
    assert admitted == [3]  # 2 stopped polling: dropped, not admitted, did not stall the queue
    assert stats.waiting == 1 and stats.abandoned_total == 1
    with pytest.raises(NotInQueue):
        room.place(schedule_id=schedule, user_id=2, now_ms=T0 + 15_000)


def test_abandoned_places_deep_in_the_queue_stop_counting_as_waiting(
    room: RedisWaitingRoom, make_queue: MakeQueue
) -> None:
    schedule = make_queue(max_active=1, rate=100, abandon_ms=10_000)
    for user in range(1, 101):
        enter(room, schedule, user)
    room.place(schedule_id=schedule, user_id=50, now_ms=T0 + 8_000)  # only 50 beats
    room.place(schedule_id=schedule, user_id=50, now_ms=T0 + 16_000)
    room.tick(schedule_id=schedule, now_ms=T0 + 20_001)
    stats = room.stats(schedule_id=schedule, now_ms=T0 + 20_001)
    assert (stats.waiting, stats.active, stats.abandoned_total) == (1, 1, 98)


def test_capacity_holds_under_concurrent_ticks(
    room: RedisWaitingRoom, make_queue: MakeQueue
) -> None:
    schedule = make_queue(max_active=50, rate=10_000)
    line_up(room, schedule, 500)
    start = threading.Barrier(8)

    def tick(i: int) -> list[int]:
        start.wait()
        return room.tick(schedule_id=schedule, now_ms=T0 + 5000 + i)

    with ThreadPoolExecutor(max_workers=8) as pool:
        batches = list(pool.map(tick, range(8)))
    admitted = [user for batch in batches for user in batch]
    assert len(admitted) == 50 == len(set(admitted))
    assert room.stats(schedule_id=schedule, now_ms=T0 + 5010).active == 50
    # A freed slot admits exactly one more, the next in line.
    room.leave(schedule_id=schedule, user_id=admitted[0])
    assert room.tick(schedule_id=schedule, now_ms=T0 + 6000) == [51]


def test_early_arrivals_are_shuffled_uniformly_ahead_of_later_ones(
    room: RedisWaitingRoom, make_queue: MakeQueue
) -> None:
    fans, runs = 5, 500
    counts = [[0] * fans for _ in range(fans)]
    for _ in range(runs):
        schedule = make_queue(opens=T0 + 60_000, max_active=1, rate=1)
        for user in range(1, fans + 1):
            place = enter(room, schedule, user)
            assert place.state is PlaceState.PRE_QUEUE  # type: ignore[attr-defined]
        late = enter(room, schedule, 99, now=T0 + 60_001)  # opening happens in this call
        assert late.position == fans  # type: ignore[attr-defined]  # first one was admitted
        order = room.waiting_users(schedule_id=schedule)
        admitted = [u for u in range(1, fans + 1) if u not in {w for w, _ in order}]
        line = admitted + [w for w, _ in order if w != 99]
        for position, user in enumerate(line):
            counts[user - 1][position] += 1
    expected = runs / fans
    chi_square = sum((c - expected) ** 2 / expected for row in counts for c in row)
    # (5-1)*(5-1) = 16 degrees of freedom, but the counts are sums of permutation matrices,
    # whose cells vary by n/(n-1) = 5/4 of a multinomial's: under a uniform shuffle the sum
    # is 5/4 of a chi-square with 16 (mean 20, not 16; 1,500 simulated runs gave 20.1). 70 =
    # 56 x 5/4 is the critical value at p = 2.4e-6, so a correct shuffle fails this about
    # once in 400,000 runs (at 56 it failed about once in 6,700, as a fresh clone's run did
    # with 56.7), while a biased one (e.g. entry order kept, or one fan always first) scores
    # in the hundreds.
    assert chi_square < 70, counts


def test_eta_follows_the_measured_admission_rate(
    room: RedisWaitingRoom, make_queue: MakeQueue
) -> None:
    # Configured for 100/s, but capacity lets only 5 fans in per second.
    schedule = make_queue(max_active=5, rate=100)
    for user in range(1, 206):
        enter(room, schedule, user)
    now = T0
    for second in range(1, 21):
        now = T0 + second * 1000
        for user in range(second * 5 - 4, second * 5 + 1):
            room.leave(schedule_id=schedule, user_id=user)
        for user in range(second * 5 + 1, 206):
            room.place(schedule_id=schedule, user_id=user, now_ms=now)  # keep polling
        room.tick(schedule_id=schedule, now_ms=now)
    place = room.place(schedule_id=schedule, user_id=205, now_ms=now)
    assert place.position == 100
    assert 15 <= place.eta_seconds <= 30  # ~5/s measured; the configured rate would say 1


def test_the_measured_rate_is_the_rate_from_the_first_second_on(
    room: RedisWaitingRoom, make_queue: MakeQueue
) -> None:
    """A line moving at 10 fans a second is measured at 10 a second, and the ETA of a fan
    is its position / 10, at every moment of a sale, not only after the first minute: the
    measure once divided a one-minute exponential average by the time since the line
    first moved, 63% of the rate a minute in and 79% at 30 s, so every ETA of a flash
    sale's first minutes came out a third to half too long."""
    schedule = make_queue(max_active=100_000, rate=10, abandon_ms=600_000)
    line_up(room, schedule, 2_000)
    for second in range(1, 121):
        now = T0 + second * 1000
        room.tick(schedule_id=schedule, now_ms=now)
        if second in (2, 10, 30, 60, 120):
            measured = room.state(schedule_id=schedule, now_ms=now).admitted_per_second
            assert 9.0 <= measured <= 11.0, (second, measured)
            place = room.place(schedule_id=schedule, user_id=2000, now_ms=now)
            assert place.position == 2000 - 10 * second
            assert 0.9 <= place.eta_seconds / (place.position / 10) <= 1.1, (second, place)


def test_with_adaptive_admission_the_eta_projects_the_climb_it_is_told(
    room: RedisWaitingRoom, make_queue: MakeQueue
) -> None:
    """At 10/s doubling every 12 s up to 100/s, the fan at place 1,990 is due in about 45 s
    (the climb takes 40 s and passes 1,557 places, then 100/s), not in the 199 s of dividing
    by 10."""
    schedule = make_queue(max_active=100_000, rate=10)
    line_up(room, schedule, 2_000)
    control = room.client.hget(schedule_keys(schedule)[0], "admit_per_second")
    assert int(control) == 10
    rising = RateDecision(rate=10, reason=RateReason.RAISED_FAST, p95_ms=50.0)
    growth = 2 ** (1 / 12)  # told a climb of x2 a 12-second reaction time
    room.steer(
        schedule_id=schedule, decision=rising, slots=100_000, growth_per_second=growth, limit=100
    )
    last = room.place(schedule_id=schedule, user_id=2000, now_ms=T0)
    climb, ln_g = math.log(10) / math.log(growth), math.log(growth)
    assert last.eta_seconds == math.ceil(climb + (last.position - 90 / ln_g) / 100)
    assert 40 <= last.eta_seconds <= 55
    # Near the front, within the climb.
    near = room.place(schedule_id=schedule, user_id=30, now_ms=T0)
    assert near.eta_seconds == math.ceil(math.log(1 + near.position * ln_g / 10) / ln_g)

    # Every slot taken, none freed yet: the line moves as slots free up (the measured pace),
    # not as the rate climbs.
    full = make_queue(max_active=3, rate=10)
    for user in range(1, 11):
        enter(room, full, user)
    room.steer(schedule_id=full, decision=rising, slots=3, growth_per_second=growth, limit=100)
    while_full = room.place(schedule_id=full, user_id=10, now_ms=T0)
    room.steer(schedule_id=full, decision=rising, slots=3, growth_per_second=1.0, limit=100)
    assert while_full.eta_seconds == room.place(schedule_id=full, user_id=10, now_ms=T0).eta_seconds
    # (Once slots are seen to free up, their pace scales the climb: the tests below.)

    # Told no climb: the rate in force.
    held = RateDecision(rate=10, reason=RateReason.HELD, p95_ms=220.0)
    room.steer(schedule_id=schedule, decision=held, slots=100_000, growth_per_second=1.0, limit=100)
    held_eta = room.place(schedule_id=schedule, user_id=2000, now_ms=T0).eta_seconds
    # The line's pace as measured: the 10 fans of the first step, over its first second.
    pace = room.state(schedule_id=schedule, now_ms=T0).admitted_per_second
    assert 10 <= pace <= 10.1
    assert held_eta == math.ceil(last.position / pace)


def _fans_start_keeping_their_slots(room: RedisWaitingRoom, schedule: int) -> int:
    """400 fans in line for 10 slots at 10 a second. For 20 s each fan admitted is done
    within the second, so the rate moves the line (10 a second); then for 45 s fans keep
    their slot 10 s (the one in longest leaves each second), so the slots move it (1 a
    second). Returns the time of the last second."""
    line_up(room, schedule, 400)
    inside: list[int] = []
    now = T0
    for second in range(66):
        now = T0 + second * 1000
        leaving = inside if second <= 20 else inside[:1]
        for user in leaving:
            room.leave(schedule_id=schedule, user_id=user)
        inside = inside[len(leaving) :] + room.tick(schedule_id=schedule, now_ms=now)
        assert len(inside) == 10
    return now


def test_once_fans_keep_their_slots_the_eta_is_the_pace_the_slots_allow(
    room: RedisWaitingRoom, make_queue: MakeQueue
) -> None:
    """The line moved 10 a second while fans were quick, and 1 a second for the last 45 s
    since they keep their slots 10 s. The line's pace, measured over a minute, still says
    2.9 a second (an ETA from it alone came out three times too short); the slots turning
    over say about 1 (10 fans in / 1 admitted a second = 10 s a fan), and the fan at the
    back is told about that."""
    schedule = make_queue(max_active=10, rate=10, abandon_ms=600_000)
    now = _fans_start_keeping_their_slots(room, schedule)
    pace = room.state(schedule_id=schedule, now_ms=now).admitted_per_second
    last = room.place(schedule_id=schedule, user_id=400, now_ms=now)
    assert last.position == 145
    assert 2.5 < pace < 3.5
    assert 145 / 1.5 <= last.eta_seconds <= 145 / 0.9, (last, pace)


def test_with_adaptive_admission_the_slots_pace_scales_the_whole_climb(
    room: RedisWaitingRoom, make_queue: MakeQueue
) -> None:
    """The same line steered at 10 a second with slots for 10: the slots turn over at about
    1 a second, a tenth of the rate, and as they follow the rate the climb is a tenth of the
    rate's too, up to a tenth of the limit."""
    schedule = make_queue(max_active=10, rate=10, abandon_ms=600_000)
    now = _fans_start_keeping_their_slots(room, schedule)
    growth = 2 ** (1 / 12)
    rising = RateDecision(rate=10, reason=RateReason.RAISED_FAST, p95_ms=50.0)
    room.steer(schedule_id=schedule, decision=rising, slots=10, growth_per_second=growth, limit=100)
    last = room.place(schedule_id=schedule, user_id=400, now_ms=now)
    ln_g = math.log(growth)

    def climb_eta(r0: float, limit: float, position: int) -> float:
        until_limit = (limit - r0) / ln_g
        if position <= until_limit:
            return math.log(1 + position * ln_g / r0) / ln_g
        return math.log(limit / r0) / ln_g + (position - until_limit) / limit

    assert climb_eta(1.5, 15, 145) <= last.eta_seconds <= climb_eta(0.9, 9, 145) + 1, last
    # Unscaled, the climb from 10 a second would pass 145 places in 12 s.
    assert last.eta_seconds > 2 * climb_eta(10, 100, 145)


def test_adaptive_admission_admits_at_once_only_the_slots_of_its_rate(
    room: RedisWaitingRoom, make_queue: MakeQueue
) -> None:
    """Capacity 50 sized for a ceiling of 100 a second: at 10 a second, 5 fans in at once
    however long the rate has been admitting; the slots follow the steered rate, and the
    whole capacity comes back when adaptive admission is turned off."""
    schedule = make_queue(max_active=50, rate=10)
    adaptive = AdaptiveAdmission(latency_target_ms=250, ceiling=100, capacity=50, floor=10)
    settings = QueueSettings(
        schedule_id=schedule,
        opens_at=at(T0 - 1000),
        closes_at=at(T0 + 86_400_000),
        max_active=50,
        admit_per_second=10,
        abandon_after_seconds=60,
        active_ttl_seconds=300,
        heartbeat_seconds=3,
        adaptive=adaptive,
    )
    room.store_settings(settings, now_ms=T0)
    for user in range(1, 61):
        enter(room, schedule, user)
    for second in range(1, 4):
        room.tick(schedule_id=schedule, now_ms=T0 + second * 1000)
    assert room.stats(schedule_id=schedule, now_ms=T0 + 3000).active == 5

    raised = RateDecision(rate=40, reason=RateReason.RAISED, p95_ms=120.0)
    slots = adaptive.slots_at(raised.rate)
    room.steer(schedule_id=schedule, decision=raised, slots=slots, growth_per_second=1.0, limit=50)
    assert slots == 20
    for second in range(4, 7):
        room.tick(schedule_id=schedule, now_ms=T0 + second * 1000)
    assert room.stats(schedule_id=schedule, now_ms=T0 + 6000).active == 20

    room.store_settings(replace(settings, adaptive=None), now_ms=T0 + 6000)  # fixed 10/s
    for second in range(7, 12):
        room.tick(schedule_id=schedule, now_ms=T0 + second * 1000)
    assert room.stats(schedule_id=schedule, now_ms=T0 + 11_000).active == 50


def test_when_the_sale_closes_waiting_fans_are_told_and_admitted_ones_keep_their_slot(
    room: RedisWaitingRoom, make_queue: MakeQueue
) -> None:
    schedule = make_queue(max_active=1, closes=T0 + 10_000)
    for user in (1, 2):
        enter(room, schedule, user)  # 1 is admitted, 2 waits
    assert room.place(schedule_id=schedule, user_id=2, now_ms=T0 + 9_000).position == 1
    after = T0 + 10_000
    assert room.state(schedule_id=schedule, now_ms=after).phase is QueuePhase.CLOSED
    with pytest.raises(SaleClosed):  # as the public state says; no ETA that never comes
        room.place(schedule_id=schedule, user_id=2, now_ms=after)
    assert room.place(schedule_id=schedule, user_id=1, now_ms=after).state is PlaceState.ADMITTED


def test_closed_unknown_and_rate_limited_entries(
    client: Any, room: RedisWaitingRoom, make_queue: MakeQueue
) -> None:
    closed = make_queue(closes=T0 - 1)
    with pytest.raises(SaleClosed):
        enter(room, closed, 1)
    with pytest.raises(QueueNotFound):
        enter(room, 123_456_789, 1)

    limited = RedisWaitingRoom(client, user_rate=1, user_burst=2, ip_rate=0, ip_burst=0)
    schedule = make_queue()
    enter(limited, schedule, 7)
    enter(limited, schedule, 7)
    with pytest.raises(EntryRateLimited) as raised:
        enter(limited, schedule, 7)
    assert raised.value.retry_after >= 1
    enter(limited, schedule, 7, now=T0 + 1000)  # one more token a second later

    by_address = RedisWaitingRoom(client, user_rate=0, user_burst=0, ip_rate=1, ip_burst=3)
    for user in (1, 2, 3):
        enter(by_address, schedule, user)
    with pytest.raises(EntryRateLimited):
        enter(by_address, schedule, 4)


def test_scripts_reload_after_redis_forgets_them(
    client: Any, room: RedisWaitingRoom, make_queue: MakeQueue
) -> None:
    schedule = make_queue()
    enter(room, schedule, 1)
    client.script_flush()
    assert enter(room, schedule, 2).state is PlaceState.ADMITTED  # type: ignore[attr-defined]


def test_redis_down_is_queue_unavailable() -> None:
    dead = redis.Redis(port=1, socket_connect_timeout=0.2)
    room = RedisWaitingRoom(dead, user_rate=0, user_burst=0, ip_rate=0, ip_burst=0)
    with pytest.raises(QueueUnavailable):
        room.enter(schedule_id=1, user_id=1, client_ip="x", now_ms=T0)


@pytest.mark.django_db(transaction=True)
def test_event_mailboxes_and_the_ranking_work_the_same_on_a_cluster(client: Any) -> None:
    """What the event handlers keep in Redis lives beside the waiting room, so it must run
    on a Redis Cluster too: multi-key scripts stay within one hash slot."""
    from adapters.concert.ranking import RedisRanking
    from adapters.messaging.ordering import ScheduleMailbox

    ranking = RedisRanking(client)
    assert ranking.count_sale(event_id="e1", concert_id=7, tickets=2)
    assert not ranking.count_sale(event_id="e1", concert_id=7, tickets=2)  # once
    ranking.record_sold_out(concert_id=7, seconds=12.5)
    assert ranking.top(1) == [(7, 2, 12.5)]

    box = ScheduleMailbox(client, group="concert", schedule_id=5, claim_seconds=60)
    assert box.post(topic="t", envelope={"sequence": 3})
    assert box.failed(3) == 1
    box.done(3)
    assert box.next_events(5) == [] and not box.release()


def test_heartbeats_keep_the_place_and_silence_loses_it(
    room: RedisWaitingRoom, make_queue: MakeQueue
) -> None:
    schedule = make_queue(max_active=1, rate=100, abandon_ms=9_000, heartbeat_ms=3_000)
    for user in (1, 2, 3):
        enter(room, schedule, user)  # 1 is admitted; 2 and 3 wait
    for second in range(3, 61, 3):  # 2 beats every 3 s for a minute; 3 says nothing
        room.place(schedule_id=schedule, user_id=2, now_ms=T0 + second * 1000)
    assert room.state(schedule_id=schedule, now_ms=T0 + 60_000).waiting == 1
    assert room.place(schedule_id=schedule, user_id=2, now_ms=T0 + 61_000).position == 1
    with pytest.raises(NotInQueue):  # a heartbeat after the silence: the place is gone
        room.place(schedule_id=schedule, user_id=3, now_ms=T0 + 61_000)
    room.leave(schedule_id=schedule, user_id=1)
    assert room.tick(schedule_id=schedule, now_ms=T0 + 62_000) == [2]


def test_heartbeats_sent_in_batches_keep_the_place_and_report_lost_ones(
    room: RedisWaitingRoom, make_queue: MakeQueue
) -> None:
    """The beats an app server answered on its own, sent once a second in one call, keep
    places as the fans' own calls do; the call names the fans who had no place left (lost
    to silence, left, never entered), not those admitted meanwhile, and admits lazily."""
    schedule = make_queue(max_active=1, rate=100, abandon_ms=9_000, heartbeat_ms=3_000)
    for user in (1, 2, 3, 4):
        enter(room, schedule, user)  # 1 is admitted; 2, 3 and 4 wait
    room.leave(schedule_id=schedule, user_id=4)
    for second in range(3, 61, 3):  # 2 beats every 3 s for a minute, in batches; 3 is silent
        lost = room.record_beats(schedule_id=schedule, user_ids=[2], now_ms=T0 + second * 1000)
        assert lost == []
    assert room.state(schedule_id=schedule, now_ms=T0 + 60_000).waiting == 1
    lost = room.record_beats(schedule_id=schedule, user_ids=[1, 2, 3, 4, 5], now_ms=T0 + 61_000)
    assert sorted(lost) == [3, 4, 5]  # 1 is admitted, 2 kept its place
    room.leave(schedule_id=schedule, user_id=1)
    assert room.record_beats(schedule_id=schedule, user_ids=[2], now_ms=T0 + 62_000) == []
    assert room.place(schedule_id=schedule, user_id=2, now_ms=T0 + 62_000).state is (
        PlaceState.ADMITTED
    )  # admitted by the batch's own admission step


def test_the_state_tells_the_eta_of_every_place_as_the_place_itself_does(
    room: RedisWaitingRoom, make_queue: MakeQueue
) -> None:
    """The ETA points of the public state, between which an app server tells a waiting fan
    its ETA without Redis, are the ETAs the fans at those places are told, and a place
    between two points is told within a second of the points' line."""
    schedule = make_queue(max_active=100_000, rate=7, abandon_ms=600_000)
    line_up(room, schedule, 1_000)
    for second in range(1, 11):
        room.tick(schedule_id=schedule, now_ms=T0 + second * 1000)
    now = T0 + 10_000
    state = room.state(schedule_id=schedule, now_ms=now)
    assert state.heartbeat_seconds == 3 and state.admission_rate == 7
    positions = [p for p, _ in state.eta_points]
    assert positions[0] == 1 and positions[-1] == 1000 - state.serving
    assert len(positions) < 40  # a quarter further each: a few dozen for a thousand places
    for user in (state.serving + 1, state.serving + 37, state.serving + 500, 1000):
        place = room.place(schedule_id=schedule, user_id=user, now_ms=now)
        told = state.eta_seconds(place.position)
        assert told is not None and abs(told - place.eta_seconds) <= 1, (place, told)


def test_a_later_admission_never_gets_an_earlier_slot_expiry(
    room: RedisWaitingRoom, make_queue: MakeQueue
) -> None:
    """Callers stamp the time before their Redis call, so under load a call may arrive with
    an earlier time than the admission before it: the slot (and access token) expiry still
    follows admission order."""
    schedule = make_queue(max_active=1, rate=1000, active_ttl_ms=60_000)
    for user in (1, 2, 3):
        enter(room, schedule, user)  # 1 is admitted at once; 2 and 3 wait for the slot
    room.leave(schedule_id=schedule, user_id=1)
    assert room.tick(schedule_id=schedule, now_ms=T0 + 5_000) == [2]
    room.leave(schedule_id=schedule, user_id=2)
    # Admitted by a call stamped 400 ms before the last admission (another server's clock).
    assert room.tick(schedule_id=schedule, now_ms=T0 + 4_600) == [3]
    place = room.place(schedule_id=schedule, user_id=3, now_ms=T0 + 5_000)
    assert place.active_until_ms == T0 + 65_000  # not T0 + 64_600


def test_admission_never_lets_in_more_fans_than_seats_left_while_holds_race(
    client: Any, room: RedisWaitingRoom, make_queue: MakeQueue
) -> None:
    """Ticks, entries and holds at once: admitted fans who have not held never outnumber
    the seats free, each hold moves a seat from free to held, and a fan who gives up or
    whose hold's seats come back (counted by the next tick) lets the next fan in."""
    schedule = make_queue(max_active=10_000, rate=10_000)
    line_up(room, schedule, 200)
    assert room.tick(
        schedule_id=schedule, now_ms=T0 + 1000, seats=SeatsLeft(free=30, held=0)
    ) == list(range(1, 31))
    locks = RedisSeatLocks(client)
    gate = FanGate(rate=0, burst=0)
    start = threading.Barrier(8)

    def race(i: int) -> list[int]:
        start.wait()
        admitted = []
        for step in range(20):
            if i < 4:  # fans 1..20 hold a seat each, five per thread
                if step < 5:
                    user = 1 + i * 5 + step
                    locks.acquire(
                        schedule_id=schedule,
                        user_id=user,
                        seat_ids=(user,),
                        owner=f"u{user}",
                        ttl_ms=60_000,
                        now_ms=T0 + 1100,
                        gate=gate,
                    )
            else:
                admitted += room.tick(schedule_id=schedule, now_ms=T0 + 1100 + step)
        return admitted

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert [user for batch in pool.map(race, range(8)) for user in batch] == []
    state = room.state(schedule_id=schedule, now_ms=T0 + 1200)
    assert state.seats == SeatsLeft(free=10, held=20) and not state.seats.sold_out
    stats = room.stats(schedule_id=schedule, now_ms=T0 + 1200)
    assert (stats.active, stats.claims, stats.seats_free) == (30, 10, 10)

    room.leave(schedule_id=schedule, user_id=25)  # gave up without holding
    assert room.tick(schedule_id=schedule, now_ms=T0 + 2000) == [31]
    # The next count: five of the holds lapsed and were swept back to available.
    counted = SeatsLeft(free=15, held=15)
    assert room.tick(schedule_id=schedule, now_ms=T0 + 3000, seats=counted) == list(range(32, 37))
    # Every seat sold: nobody more, and the public state says so.
    room.tick(schedule_id=schedule, now_ms=T0 + 4000, seats=SeatsLeft(free=0, held=0))
    assert room.state(schedule_id=schedule, now_ms=T0 + 4000).seats.sold_out  # type: ignore[union-attr]
    assert room.tick(schedule_id=schedule, now_ms=T0 + 5000) == []


def test_serving_never_passes_a_fan_still_waiting(
    room: RedisWaitingRoom, make_queue: MakeQueue
) -> None:
    """Threads enter, beat, leave and tick at once. Every answer is checked as it comes (a
    waiting fan's entry number is above `serving` in the same atomic step), and at the end
    every fan who kept beating has been admitted in entry order or is still in line."""
    schedule = make_queue(max_active=40, rate=10_000, abandon_ms=6_000, heartbeat_ms=2_000)
    clock = count(T0, 7)  # each call a few ms later than the one before, across threads
    lock = threading.Lock()
    entries: dict[int, int] = {}
    admitted_order: list[int] = []

    def now() -> int:
        with lock:
            return next(clock)

    def fan(user: int) -> None:
        rng = random.Random(user)
        place: Any = enter(room, schedule, user, now=now())
        for _ in range(30):
            if place.state is PlaceState.WAITING:
                assert place.position >= 1 and place.entry_number is not None
                with lock:
                    entries[user] = place.entry_number
            if place.state is PlaceState.ADMITTED:
                room.leave(schedule_id=schedule, user_id=user)  # bought, made room
                return
            roll = rng.random()
            if roll < 0.05:
                room.leave(schedule_id=schedule, user_id=user)
                return
            if roll < 0.15:
                with lock:
                    admitted_order.extend(room.tick(schedule_id=schedule, now_ms=next(clock)))
            try:
                place = room.place(schedule_id=schedule, user_id=user, now_ms=now())
            except NotInQueue:
                raise AssertionError(f"fan {user} kept beating and lost the place") from None

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(fan, range(1, 201)))
    state = room.state(schedule_id=schedule, now_ms=now())
    for user, entry in room.waiting_users(schedule_id=schedule):
        assert entry > state.serving, (user, entry, state.serving)
    ticked = [entries[user] for user in admitted_order if user in entries]
    assert ticked == sorted(ticked)  # admissions by the tick came in entry order


def test_an_opening_moves_early_arrivals_in_bounded_uniform_steps(
    client: Any, make_queue: MakeQueue
) -> None:
    stepper = RedisWaitingRoom(
        client, user_rate=0, user_burst=0, ip_rate=0, ip_burst=0, open_batch=2
    )
    fans, runs = 5, 400
    counts = [[0] * fans for _ in range(fans)]
    for _ in range(runs):
        schedule = make_queue(opens=T0 + 60_000, max_active=100, rate=100)
        for user in range(1, fans + 1):
            enter(stepper, schedule, user)
        opening, admitted = stepper._step(schedule_id=schedule, now_ms=T0 + 60_000)
        assert opening and admitted == []  # 2 of 5 moved: nobody is let in yet
        half = stepper.state(schedule_id=schedule, now_ms=T0 + 60_001)
        assert (half.phase.value, half.serving, half.waiting) == ("pre_queue", 0, 5)
        late = enter(stepper, schedule, 99, now=T0 + 60_002)  # arrives during the move
        assert late.entry_number == fans + 1  # type: ignore[attr-defined]
        line = [user for user, _ in stepper.waiting_users(schedule_id=schedule)]
        assert line[-1] == 99 and len(line) <= 5  # moved fans ahead; this call moved 2 more
        admitted = stepper.tick(schedule_id=schedule, now_ms=T0 + 60_003)
        assert sorted(admitted[:fans]) == list(range(1, fans + 1)) and admitted[fans:] == [99]
        for position, user in enumerate(admitted[:fans]):
            counts[user - 1][position] += 1
    expected = runs / fans
    chi_square = sum((c - expected) ** 2 / expected for row in counts for c in row)
    assert chi_square < 70, counts  # p = 2.4e-6 for a uniform shuffle, as in the test above
