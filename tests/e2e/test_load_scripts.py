"""The k6 load scripts act as the fans they say: run briefly against a stub that records
whose token each request carries (k6 from the venv, loopback only, a second or two each)."""

import base64
import itertools
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
K6 = Path(sys.executable).parent / "k6"
SECRET = "load-script-test-secret-0123456789abcdefghijklmnopqrstuvwxyz"


class _Recorder(BaseHTTPRequestHandler):
    """Answers each fan with a queue token of its own, and records who asked and which
    queue token the request sent back."""

    users: list[int]
    receipts: list[tuple[int, str | None]]
    lock = threading.Lock()

    def _answer(self, status: int) -> None:
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        user = int(claims["user_id"])
        with self.lock:
            self.users.append(user)
            self.receipts.append((user, self.headers.get("X-Queue-Token")))
        body = json.dumps({"status": "waiting", "queue_token": f"q.{user}.1.{user}.sig"}).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer(200)

    def do_POST(self) -> None:
        self._answer(201)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receipts() -> list[tuple[int, str | None]]:
    return []


@pytest.fixture
def stub(receipts: list[tuple[int, str | None]]) -> Iterator[tuple[str, list[int]]]:
    users: list[int] = []
    handler = type("Recorder", (_Recorder,), {"users": users, "receipts": receipts})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", users
    finally:
        server.shutdown()
        server.server_close()


def run_k6(script: str, tmp_path: Path, **env: object) -> None:
    arguments = [str(K6), "run", "--quiet", "--no-summary"]
    for name, value in {"SECRET_KEY": SECRET, "SUMMARY": str(tmp_path / "s.json"), **env}.items():
        arguments += ["-e", f"{name}={value}"]
    done = subprocess.run(
        [*arguments, str(ROOT / "k6" / script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_entry_script_sends_a_new_fan_every_time(
    stub: tuple[str, list[int]], tmp_path: Path
) -> None:
    base, users = stub
    # Few fans per VU, so that the VUs run past their share and sign the rest as they go.
    run_k6(
        "queue-entry.js",
        tmp_path,
        BASE_URL=base,
        MODE="saturate",
        VUS=4,
        DURATION="2s",
        MAX_FANS=40,
        USER_OFFSET=1000,
    )
    assert len(users) > 40
    assert len(set(users)) == len(users), "two entries came from the same fan"
    assert min(users) >= 1000


def test_poll_script_spreads_its_pollers_over_the_queue(
    stub: tuple[str, list[int]], receipts: list[tuple[int, str | None]], tmp_path: Path
) -> None:
    base, users = stub
    run_k6(
        "queue-poll.js",
        tmp_path,
        BASE_URL=base,
        MODE="saturate",
        VUS=3,
        DURATION="1s",
        FANS=100,
        POLLERS=10,
    )
    # Pollers 1, 11, 21, ... 91: the queue's front to its back, each with its own token.
    assert set(users) == set(range(1, 101, 10))
    # Each sends no receipt once, then the one its first answer gave it, every time.
    for user in set(users):
        sent = [receipt for who, receipt in receipts if who == user]
        assert sent[0] is None and len(sent) > 1, (user, sent[:3])
        assert set(sent[1:]) == {f"q.{user}.1.{user}.sig"}, (user, sent[:3])


def _closing_server(requests: list[tuple[int, str]]) -> socket.socket:
    """Answers the first request of each connection and keeps it alive, then closes it as
    the next request arrives, unanswered: a server timing out an idle connection just as
    the client reuses it."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve(connection: socket.socket, number: int) -> None:
        with connection:
            for answered in (True, False):
                head = connection.recv(65536).decode()
                if not head:
                    return
                requests.append((number, head.split(" ", 1)[0]))
                if answered:
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    def accept() -> None:
        for number in itertools.count():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(connection, number), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener


def test_a_request_on_a_connection_closed_under_it_is_sent_once_more(tmp_path: Path) -> None:
    requests: list[tuple[int, str]] = []
    listener = _closing_server(requests)
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    (tmp_path / "resend.js").write_text(
        f'import {{ check }} from "k6";\n'
        f'import {{ sendAsBrowser }} from "file://{ROOT}/k6/lib/browser_requests.js";\n'
        "export const options = { thresholds: { checks: ['rate==1'],"
        " resent_after_close: ['count==1'] } };\n"
        "export default async function () {\n"
        "  for (let i = 0; i < 2; i++) {\n"
        f'    const r = await sendAsBrowser("POST", "{base}/hold", "{{}}");\n'
        "    check(r, { answered: (r) => r.status === 200 });\n"
        "  }\n"
        "}\n"
    )
    try:
        done = subprocess.run(
            [str(K6), "run", "--quiet", "--no-summary", str(tmp_path / "resend.js")],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        listener.close()
    assert done.returncode == 0, done.stderr[-2000:]
    # The second POST reached the first connection as it closed, then a new one.
    assert requests == [(0, "POST"), (0, "POST"), (1, "POST")]
