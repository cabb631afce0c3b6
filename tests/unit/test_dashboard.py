"""The sale dashboard (config/grafana/dashboards/sale.json, provisioned by compose) shows
what an operator watches during a sale, and every query names a metric the app exports."""

import json
from pathlib import Path

from tests.metric_names import EXPORTED, metrics_in

DASHBOARD = Path(__file__).resolve().parents[2] / "config" / "grafana" / "dashboards" / "sale.json"


def test_every_query_names_an_exported_metric() -> None:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    shown: set[str] = set()
    for panel in panels:
        for target in panel["targets"]:
            named = metrics_in(target["expr"])
            assert named and named <= EXPORTED, f"{panel['title']}: {named - EXPORTED}"
            shown |= named
    # Fans waiting, admitted per second, booking latency, seats left, errors, outbox lag.
    assert {
        "queue_waiting",
        "queue_admitted_per_second",
        "http_request_duration_seconds",
        "seats_available",
        "outbox_oldest_unpublished_seconds",
        "event_handled_lag_seconds",
    } <= shown
