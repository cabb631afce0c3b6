"""Export to the external data platform: one signed HTTP POST per event.

The body is the event envelope. `X-Timestamp: <unix seconds>` and `X-Signature:
sha256=<hex HMAC of "<timestamp>.<body>">` under the shared secret let the platform check
that it came from us and is fresh (it refuses old timestamps, so a captured request cannot
be replayed later); `X-Event-Id` lets it drop repeats (delivery is at least once). A
timeout, a redirect or an answer other than 2xx raises, and the task retries with backoff:
a redirect would turn the POST into a GET without the body, which must not count as
delivered."""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises HTTPError with the 3xx


_opener = urllib.request.build_opener(_NoRedirects)


class ExportFailed(Exception):
    pass


@dataclass(frozen=True)
class DataPlatformExporter:
    url: str
    secret: bytes
    timeout_seconds: float = 5.0

    def send(self, envelope: dict[str, Any]) -> None:
        body = json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()
        now = int(time.time())
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Timestamp": str(now),
                "X-Signature": f"sha256={signature(self.secret, now, body)}",
                "X-Event-Id": str(envelope["event_id"]),
            },
        )
        try:
            with _opener.open(request, timeout=self.timeout_seconds) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            raise ExportFailed(f"data platform answered {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError) as exc:
            raise ExportFailed(f"data platform unreachable: {exc}") from exc
        if not 200 <= status < 300:
            raise ExportFailed(f"data platform answered {status}")
