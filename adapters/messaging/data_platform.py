"""Export to the external data platform: one signed HTTP POST per event.

The body is the event envelope; `X-Signature: sha256=<hex HMAC of the body>` under the
shared secret lets the platform check it came from us; `X-Event-Id` lets it drop repeats
(delivery is at least once). A timeout or an answer other than 2xx raises, and the task
retries with backoff."""

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


class ExportFailed(Exception):
    pass


@dataclass(frozen=True)
class DataPlatformExporter:
    url: str
    secret: bytes
    timeout_seconds: float = 5.0

    def send(self, envelope: dict[str, Any]) -> None:
        body = json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()
        signature = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Signature": f"sha256={signature}",
                "X-Event-Id": str(envelope["event_id"]),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            raise ExportFailed(f"data platform answered {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError) as exc:
            raise ExportFailed(f"data platform unreachable: {exc}") from exc
        if not 200 <= status < 300:
            raise ExportFailed(f"data platform answered {status}")
