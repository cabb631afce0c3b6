"""A real HTTP server standing in for the data platform: it records every POST and answers
with the status codes a test queues up (200 once they run out)."""

import json
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Platform:
    def __init__(self, *, max_delay: float = 0.0) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.accepted: list[dict[str, Any]] = []  # the events answered with 2xx, in order
        self.answers: list[int] = []
        self.gets = 0  # a redirected POST would come back as a bodiless GET
        self.max_delay = max_delay  # a random pause per request, to shake up timing
        self.lock = threading.Lock()

    def receive(self, headers: dict[str, str], body: bytes) -> int:
        time.sleep(random.uniform(0, self.max_delay))
        with self.lock:
            self.calls.append((headers, body))
            status = self.answers.pop(0) if self.answers else 200
            if status < 300:
                self.accepted.append(json.loads(body))
        return status


@contextmanager
def running_platform(*, max_delay: float = 0.0) -> Iterator[tuple[Platform, str]]:
    state = Platform(max_delay=max_delay)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = state.receive(dict(self.headers), body)
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "/moved")
            self.end_headers()

        def do_GET(self) -> None:
            with state.lock:
                state.gets += 1
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/events"
    finally:
        server.shutdown()
