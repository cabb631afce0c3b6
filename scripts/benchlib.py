"""Shared by the bench commands: the production-mode server, k6 runs and the report."""

import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
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


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def start_redis() -> subprocess.Popen[bytes]:
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
    client = redis.Redis(port=BENCH_REDIS_PORT)
    for _ in range(50):
        try:
            client.ping()
            return process
        except redis.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("bench Redis did not start")


def production_env(**overrides: str) -> dict[str, str]:
    """The environment of every process of a bench run: production settings, the bench
    Redis for queues and Celery, loopback only."""
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
        "QUEUE_ENTRY_RATE_PER_IP": "0",  # every virtual fan comes from 127.0.0.1
        "QUEUE_ENTRY_RATE_PER_USER": "0",
        "LOG_LEVEL": "WARNING",
        **overrides,
    }


def start_server(
    workers: int, threads: int, *, port: int = PORT, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = env or production_env()
    process = subprocess.Popen(
        [
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


class EventPipeline:
    """What runs after a sale in production: the outbox relay, the `concert` consumer group
    and a Celery worker. The worker reports the lag from commit to handled
    (`event_handled_lag_seconds`) through Prometheus' multiprocess files."""

    def __init__(
        self, *, worker_processes: int = 1, beat: bool = False, env: dict[str, str] | None = None
    ) -> None:
        self.env = env or production_env()
        self.metrics_dir = RUN / "bench-metrics"
        self.worker_processes = worker_processes
        self.beat = beat  # admission ticks and hold expiry, for a whole sale
        self.processes: list[subprocess.Popen[bytes]] = []
        self.warm_up_buckets: dict[float, float] = {}

    def start(self, *, warm_up_schedule: int) -> None:
        """Starts the processes and returns once an event goes all the way through them, so
        a run measures the pipeline at work, not its start (a consumer group's first join
        alone takes seconds)."""
        from django.db import connection

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
        for command in (
            [*manage, "relay_outbox"],
            [*manage, "consume_events", "--group", "concert"],
            [
                str(VENV_BIN / "celery"),
                "-A",
                "config",
                "worker",
                f"--concurrency={self.worker_processes}",
                *(["--beat", f"--schedule={RUN / 'bench-beat-schedule'}"] if self.beat else []),
                "--without-gossip",
                "--without-mingle",
                "--loglevel=WARNING",
            ],
        ):
            self.processes.append(
                subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
            )
        self._wait_until_flowing(warm_up_schedule)

    def _wait_until_flowing(self, schedule_id: int, seconds: float = 120) -> None:
        """One payment.succeeded of no seats (it counts 0 tickets in the ranking) through
        relay, broker, consumer and worker."""
        from django.db import transaction

        from adapters.messaging.outbox import record_event

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
                raise SystemExit("the event pipeline did not start")
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
            os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            process.wait(timeout=60)
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
        **os.environ,
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
