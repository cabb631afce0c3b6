"""What admitted fans do (holds, payments, the seat map) can run on app servers of their own,
so the waiting room's traffic never queues in front of a booking: nginx sends those paths
to the booking pool and everything else to the main one (scripts/nginx_proxy.py, `make
serve` with BOOKING_WORKERS)."""

import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scripts.nginx_proxy import nginx_in_front
from tests.network import free_port


def pool(name: str) -> Iterator[int]:
    class Answer(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            body = name.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def main_pool() -> Iterator[int]:
    yield from pool("main")


@pytest.fixture
def booking_pool() -> Iterator[int]:
    yield from pool("booking")


def answered_by(front: str, method: str, path: str) -> str:
    data = b"{}" if method == "POST" else None
    request = urllib.request.Request(f"{front}{path}", data=data, method=method)
    with urllib.request.urlopen(request, timeout=5) as answer:
        return str(answer.read().decode())


def test_bookings_go_to_their_own_pool(main_pool: int, booking_pool: int, tmp_path: Path) -> None:
    with nginx_in_front(
        [main_pool], port=free_port(), parent=tmp_path, booking_ports=[booking_pool]
    ) as front:
        for method, path in [
            ("POST", "/api/v1/reservations"),
            ("DELETE", "/api/v1/reservations/12"),
            ("POST", "/api/v1/payments"),
            ("GET", "/api/v1/schedules/3/seats"),
            ("GET", "/api/v1/schedules/3/seats/statuses"),
        ]:
            assert answered_by(front, method, path) == "booking", path
        for method, path in [
            ("POST", "/api/v1/schedules/3/queue"),
            ("GET", "/api/v1/schedules/3/queue"),
            ("GET", "/api/v1/concerts"),
            ("GET", "/api/v1/reservationsfoo"),  # only the booking paths themselves
            ("GET", "/healthz"),
        ]:
            assert answered_by(front, method, path) == "main", path


def test_without_a_booking_pool_one_pool_answers_everything(main_pool: int, tmp_path: Path) -> None:
    with nginx_in_front([main_pool], port=free_port(), parent=tmp_path) as front:
        assert answered_by(front, "POST", "/api/v1/reservations") == "main"
        assert answered_by(front, "GET", "/api/v1/schedules/3/queue") == "main"
