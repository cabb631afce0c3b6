"""What /metrics exports (apps/*/metrics.py, apps/ops/readiness.py), for the tests that
check the alert rules and the dashboard name nothing else. Histograms and counters also
appear as their _bucket, _count, _sum and _total series. tests/api/test_ops_api.py checks
that each is exported."""

import re

EXPORTED = {
    "http_request_duration_seconds", "event_handled_lag_seconds", "queue_waiting",
    "queue_active", "queue_admitted_per_second", "queue_admitted_total",
    "queue_abandoned_total", "queue_admission_rate", "queue_admission_reason", "queue_claims",
    "queue_slots", "queue_admission_steering_p95_ms", "outbox_backlog",
    "outbox_oldest_unpublished_seconds",
    "outbox_published_per_second", "schedules_cancelled_unrefunded", "events_dead_lettered",
    "dependency_up", "seats_available",
}  # fmt: skip
# A metric name: a word followed by `{`, `[`, `)`, a comparison or the end.
NAMED = re.compile(r"\b([a-z][a-z0-9_]+)(?=\{|\[|\)| [<>=]|$)")
# Functions and the label names grouped by, which the pattern also finds.
NOT_METRICS = {
    "rate", "sum", "by", "histogram_quantile", "clamp_min", "increase",
    "le", "group", "schedule", "route", "status", "method", "dependency", "topic",
}  # fmt: skip


def metrics_in(expr: str) -> set[str]:
    return {
        re.sub(r"_(bucket|count|sum|total)$", "", name)
        for name in NAMED.findall(expr)
        if name not in NOT_METRICS
    }
