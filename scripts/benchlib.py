"""Shared by the bench commands: the production-mode server, k6 runs and the report."""

import contextlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "1")  # this process only prepares data: development settings

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from prometheus_client import CollectorRegistry  # noqa: E402
from prometheus_client.multiprocess import MultiProcessCollector  # noqa: E402

from adapters.queue.redis import RedisWaitingRoom  # noqa: E402
from apps.concert.models import ConcertRecord, ScheduleRecord  # noqa: E402
from domain.queue.model import QueueSettings  # noqa: E402

VENV_BIN = Path(sys.executable).parent
REPORTS = ROOT / "reports"
RUN = ROOT / ".run"
SECRET = "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEF"
BENCH_REDIS_PORT = int(os.environ.get("BENCH_REDIS_PORT", "6391"))
PORT = int(os.environ.get("BENCH_PORT", "8077"))
BASE_URL = f"http://127.0.0.1:{PORT}"
# This run's topics on the broker, which outlives runs: a new consumer group of a run reads
# them from the start, and finds only this run's events there.
TOPIC_PREFIX = f"bench-{uuid.uuid4().hex[:8]}."
# k6's Go garbage collector runs when its heap has grown by GOGC percent (100 by default).
# Hundreds of virtual users keep a large heap, so each collection marks all of it, on the
# cores the servers it measures need, and delays the reading of answers that have arrived:
# at 400, 10,000 watching fans measured a request p50 of 1.1-1.4 ms instead of 31 ms, a state p95
# of 64-69 ms instead of 125-143 ms (answered by nginx's cache all the same), and k6 used 13%
# less CPU there and 23-34% less in a flash sale (docs/PERFORMANCE.md). K6_GOGC overrides it.
K6_GC = {"GOGC": os.environ.get("K6_GOGC", "400")}


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def start_redis() -> subprocess.Popen[bytes]:
    """This run's own Redis. One that already answers on the port belongs to another bench
    run (or was left over by one): sharing it would mix that run's Celery tasks with ours."""
    client = redis.Redis(port=BENCH_REDIS_PORT)
    try:
        client.ping()
    except redis.ConnectionError:
        pass
    else:
        raise SystemExit(
            f"a Redis already answers on port {BENCH_REDIS_PORT}: another bench is running, "
            "or one left its Redis behind. Stop it, or set BENCH_REDIS_PORT."
        )
    (RUN / "bench-redis").mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(BENCH_REDIS_PORT),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(RUN / "bench-redis"),
        ],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(50):
        if process.poll() is not None:
            break
        try:
            client.ping()
            return process
        except redis.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("bench Redis did not start")


def production_env(**overrides: str) -> dict[str, str]:
    """The environment of every process of a bench run: production settings, the bench
    Redis for queues and Celery, topics of the run's own, loopback only."""
    bench_redis = f"redis://127.0.0.1:{BENCH_REDIS_PORT}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": SECRET,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "BENCH_MODE": "1",
        "QUEUE_REDIS_URL": f"{bench_redis}/0",
        "CELERY_BROKER_URL": f"{bench_redis}/1",
        "KAFKA_TOPIC_PREFIX": TOPIC_PREFIX,
        "QUEUE_ENTRY_RATE_PER_IP": "0",  # every virtual fan comes from 127.0.0.1
        "QUEUE_ENTRY_RATE_PER_USER": "0",
        "LOG_LEVEL": "WARNING",
        **overrides,
    }


def start_server(
    workers: int,
    threads: int,
    *,
    port: int = PORT,
    env: dict[str, str] | None = None,
    niceness: int = 0,
) -> subprocess.Popen[bytes]:
    """granian on `port`; `niceness` > 0 runs it at a lower CPU priority (`nice`)."""
    env = env or production_env()
    process = subprocess.Popen(
        [
            *(["nice", "-n", str(niceness)] if niceness else []),
            str(VENV_BIN / "granian"),
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--blocking-threads",
            str(threads),
            "--backlog",
            "2048",
            "--log-level",
            "warning",
            "config.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the API did not start")


PIPELINE_COMMANDS = (b"relay_outbox", b"consume_events", b"worker")
# A process shares a run's pipeline if it has the same database or the same Celery queue.
SHARED = ("DATABASE_URL", "CELERY_BROKER_URL")


def pipelines_sharing(env: dict[str, str]) -> list[str]:
    """Event-pipeline processes of bench runs (BENCH_MODE=1: the relay, a consumer, a
    Celery worker) that run on the database or the Celery queue of `env`, one line per
    process group. Read from /proc; an unset DATABASE_URL on both sides is the same default
    database."""
    mine = {name: env.get(name) for name in SHARED}
    groups: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = [arg for arg in (entry / "cmdline").read_bytes().split(b"\0") if arg]
            if not any(command in argv for command in PIPELINE_COMMANDS):
                continue
            if b"worker" in argv and not any(arg.endswith(b"celery") for arg in argv):
                continue
            variables = dict(
                item.split(b"=", 1)
                for item in (entry / "environ").read_bytes().split(b"\0")
                if b"=" in item
            )
            group = os.getpgid(int(entry.name))
        except (OSError, ValueError):
            continue  # gone meanwhile, or not ours to read
        if variables.get(b"BENCH_MODE") != b"1":
            continue
        theirs = {name: variables.get(name.encode()) for name in SHARED}
        if any(
            theirs[name] == (value.encode() if value is not None else None)
            for name, value in mine.items()
        ):
            command = b" ".join(argv[1:5]).decode(errors="replace")
            groups.setdefault(group, f"process group {group}: {command}")
    return [groups[group] for group in sorted(groups)]


class EventPipeline:
    """What runs after a sale in production: the outbox relay, the `concert` consumer group
    and a Celery worker. The worker reports the lag from commit to handled
    (`event_handled_lag_seconds`) through Prometheus' multiprocess files.

    Its consumer is in a group of its own on the broker (and reads the run's own topics):
    the broker outlives runs, and a group stays broken there once a member left it before
    its first join completed (Tansu keeps the departed member as the group's leader; every
    later member waits for its assignment, without an error). The shared
    `ticketing.concert` group got that way from a consumer stopped within seconds of its
    start, and from then on no bench's pipeline started.

    A run's pipeline must be the only one on its database and Celery queue: another one
    (a bench running at the same time, or processes a bench left behind) takes the run's
    outbox rows and Celery tasks, and with its own Redis it posts them to mailboxes this
    run never drains, or drains mailboxes this run never posts to. So a start refuses
    while such processes run, and a start that fails stops what it started."""

    def __init__(
        self,
        *,
        worker_processes: int = 1,
        beat: bool = False,
        env: dict[str, str] | None = None,
        workdir: Path = RUN,
        warm_up_seconds: float = 120,
    ) -> None:
        self.env = env or production_env()
        self.metrics_dir = workdir / "bench-metrics"
        self.beat_schedule = workdir / "bench-beat-schedule"
        self.worker_processes = worker_processes
        self.beat = beat  # admission ticks and hold expiry, for a whole sale
        self.warm_up_seconds = warm_up_seconds
        self.group_id = f"ticketing.bench-{uuid.uuid4().hex[:8]}.concert"
        self.processes: list[subprocess.Popen[bytes]] = []
        self.warm_up_buckets: dict[float, float] = {}

    def start(self, *, warm_up_schedule: int) -> None:
        """Starts the processes and returns once an event goes all the way through them, so
        a run measures the pipeline at work, not its start (a consumer group's first join
        alone takes seconds). If that fails, the processes are stopped before it raises."""
        from django.db import connection

        others = pipelines_sharing(self.env)
        if others:
            raise SystemExit(
                "event-pipeline processes of another bench run are running on this run's "
                "database or Celery queue; they would take its events. Stop them first "
                "(kill -TERM -- -<process group>):\n  " + "\n  ".join(others)
            )
        # Only this run's events: rows left unpublished by earlier runs belong to a broker
        # that is gone, and their schedules' later events would wait for them.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE outbox_event SET published_at = UTC_TIMESTAMP(6) WHERE published_at IS NULL"
            )
        shutil.rmtree(self.metrics_dir, ignore_errors=True)
        self.metrics_dir.mkdir(parents=True)
        env = {**self.env, "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir)}
        manage = [sys.executable, "manage.py"]
        beat = ["--beat", f"--schedule={self.beat_schedule}"] if self.beat else []
        # The run's topics before its consumer: one that joins before they exist gets no
        # partitions until its next look at the broker's topics.
        subprocess.run(
            [*manage, "relay_outbox", "--once"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        try:
            for command in (
                [*manage, "relay_outbox"],
                [*manage, "consume_events", "--group", "concert", "--group-id", self.group_id],
                [
                    str(VENV_BIN / "celery"),
                    "-A",
                    "config",
                    "worker",
                    f"--concurrency={self.worker_processes}",
                    *beat,
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel=WARNING",
                ],
            ):
                self.processes.append(
                    subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
                )
            self._wait_until_flowing(warm_up_schedule, self.warm_up_seconds)
        except BaseException:
            # Left running, they would join the next run's consumer group and take tasks
            # from its Celery queue (the same Redis port), with this run's settings.
            self.stop()
            raise

    def _wait_until_flowing(self, schedule_id: int, seconds: float) -> None:
        """One payment.succeeded of no seats (it counts 0 tickets in the ranking) through
        relay, broker, consumer and worker."""
        from django.db import transaction

        from adapters.messaging.outbox import record_event
        from apps.events.models import OutboxEventRecord

        with transaction.atomic():
            record_event(
                event_type="payment.succeeded",
                aggregate_id=0,
                schedule_id=schedule_id,
                payload={"payment_id": 0, "schedule_id": schedule_id, "seat_ids": [], "amount": 0},
            )
        deadline = time.monotonic() + seconds
        while not (buckets := self._lag_buckets()) or buckets[-1][1] < 1:
            if time.monotonic() > deadline:
                event = (
                    OutboxEventRecord.objects.filter(partition_key=str(schedule_id))
                    .order_by("-id")
                    .first()
                )
                published = bool(event and event.published_at)
                exited = [
                    f"{' '.join(map(str, p.args[1:4]))} exited with {p.returncode}"
                    for p in self.processes
                    if p.poll() is not None
                ]
                raise SystemExit(
                    f"the event pipeline did not start: the warm-up event was "
                    f"{'published' if published else 'not published'} within {seconds:.0f} s"
                    + (f"; {', '.join(exited)}" if exited else "")
                )
            time.sleep(0.2)
        self.measure_from_now()

    def measure_from_now(self) -> None:
        """lag() counts only the events handled from now on."""
        self.warm_up_buckets = dict(self._lag_buckets())

    def wait_until_drained(self, *, after_id: int, seconds: float = 120) -> bool:
        """True once every event since `after_id` is published and handled."""
        from apps.events.handlers import HANDLERS
        from apps.events.models import OutboxEventRecord

        expected = OutboxEventRecord.objects.filter(
            id__gt=after_id, event_type__in=list(HANDLERS["concert"])
        ).count()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            backlog = OutboxEventRecord.objects.filter(published_at__isnull=True).count()
            if backlog == 0 and self.lag()["count"] >= expected:
                return True
            time.sleep(0.5)
        return False

    def stop(self) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):  # exited by itself
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.processes = []

    def lag(self) -> dict[str, float]:
        """Count and p50/p95/p99 (ms) of commit → handled, from the histogram's buckets,
        since the last measure_from_now() (the warm-up event left out)."""
        buckets = [
            (bound, count - self.warm_up_buckets.get(bound, 0.0))
            for bound, count in self._lag_buckets()
        ]
        total = buckets[-1][1] if buckets else 0.0
        return {
            "count": total,
            **{
                name: bucket_quantile(buckets, share) * 1000
                for name, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
            },
        }

    def _lag_buckets(self) -> list[tuple[float, float]]:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(self.metrics_dir))  # type: ignore[no-untyped-call]
        buckets: list[tuple[float, float]] = []
        for family in registry.collect():
            if family.name == "event_handled_lag_seconds":
                buckets = [
                    (float(sample.labels["le"]), sample.value)
                    for sample in family.samples
                    if sample.name.endswith("_bucket") and sample.labels.get("group") == "concert"
                ]
        return sorted(buckets)


def bucket_quantile(buckets: list[tuple[float, float]], share: float) -> float:
    """A quantile from cumulative histogram buckets (upper bound, count), interpolated
    linearly inside its bucket, as Prometheus' histogram_quantile does."""
    if not buckets or buckets[-1][1] == 0:
        return 0.0
    rank = share * buckets[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return lower_bound
            inside = (rank - lower_count) / (count - lower_count) if count > lower_count else 1
            return lower_bound + (bound - lower_bound) * inside
        lower_bound, lower_count = bound, count
    return lower_bound


def make_schedule(
    room: RedisWaitingRoom,
    *,
    name: str,
    max_active: int,
    rate: int,
    paused: bool,
    abandon_after_seconds: int = 3600,
    opens_in: timedelta = timedelta(hours=-1),
) -> int:
    now = datetime.now(UTC)
    concert = ConcertRecord.objects.create(title=name, artist="Bench", venue="Loopback")
    schedule = ScheduleRecord.objects.create(
        concert=concert,
        starts_at=now + timedelta(days=2),
        sale_opens_at=now + opens_in,
        sale_closes_at=now + timedelta(days=1),
        max_active=max_active,
        admit_per_second=rate,
        abandon_after_seconds=abandon_after_seconds,
    )
    room.store_settings(
        QueueSettings(
            schedule_id=schedule.id,
            opens_at=schedule.sale_opens_at,
            closes_at=schedule.sale_closes_at,
            max_active=max_active,
            admit_per_second=rate,
            abandon_after_seconds=abandon_after_seconds,
            active_ttl_seconds=300,
        ),
        now_ms=int(time.time() * 1000),
    )
    room.set_paused(schedule_id=schedule.id, paused=paused)
    return schedule.id


def k6(script: str, summary: str, **env: object) -> dict[str, Any]:
    path = REPORTS / summary
    command = [str(VENV_BIN / "k6"), "run", "--quiet", f"k6/{script}"]
    full_env = {
        # k6's Go runtime on one core: with all of them it spun idle threads worth 0.6-0.8 of
        # a core whatever the request rate, taken from the server it measures (two cores).
        "GOMAXPROCS": os.environ.get("K6_GOMAXPROCS", "1"),
        **os.environ,
        **K6_GC,
        "BASE_URL": BASE_URL,
        "SECRET_KEY": SECRET,
        "SUMMARY": str(path),
        **{k: str(v) for k, v in env.items()},
    }
    log(f"k6 {script} {' '.join(f'{k}={v}' for k, v in env.items())}")
    subprocess.run(command, cwd=ROOT, env=full_env, check=False, stdout=subprocess.DEVNULL)
    return json.loads(path.read_text())


def metric(summary: dict[str, Any], name: str, stat: str = "count") -> float:
    """One statistic of a k6 summary's metric (0 when the run never recorded it)."""
    return float(summary["metrics"].get(name, {}).get("values", {}).get(stat, 0.0))


def figures(summary: dict[str, Any]) -> dict[str, float]:
    metrics = summary["metrics"]
    duration = metrics["http_req_duration"]["values"]
    dropped = metrics.get("dropped_iterations", {}).get("values", {}).get("count", 0)
    return {
        "rps": metrics["http_reqs"]["values"]["rate"],
        "count": metrics["http_reqs"]["values"]["count"],
        "dropped": dropped,
        "p50": duration["med"],
        "p95": duration["p(95)"],
        "p99": duration["p(99)"],
        "errors": metrics["http_req_failed"]["values"]["rate"],
    }


def machine_basics() -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{memory_kb / 1024 / 1024:.0f} GiB",
        "python": platform.python_version(),
    }


def machine() -> dict[str, str]:
    redis_version = redis.Redis(port=BENCH_REDIS_PORT).info("server")["redis_version"]
    return {**machine_basics(), "redis": redis_version}


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def ms(value: float) -> str:
    return f"{value:.2f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


PERFORMANCE_HEADER = (
    "# Performance\n\nEvery number here was measured by the command named with it.\n"
)


def replace_section(path: Path, start: str, end: str, section: str) -> None:
    """Rewrites one generated section of a report, keeping the rest of the file."""
    text = path.read_text() if path.exists() else PERFORMANCE_HEADER
    if start in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)
