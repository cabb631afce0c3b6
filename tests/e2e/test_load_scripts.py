"""The k6 load scripts act as the fans they say: run briefly against a stub that records
whose token each request carries (k6 from the venv, loopback only, a few seconds each)."""

import base64
import itertools
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
K6 = Path(sys.executable).parent / "k6"
SECRET = "load-script-test-secret-0123456789abcdefghijklmnopqrstuvwxyz"


def _fan_of(request: BaseHTTPRequestHandler) -> int:
    """The user id in the request's bearer token (the load scripts sign them)."""
    payload = request.headers.get("Authorization", "").removeprefix("Bearer ").split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return int(claims["user_id"])


class _Recorder(BaseHTTPRequestHandler):
    """Answers each fan with a queue token of its own, and records who asked and which
    queue token the request sent back."""

    users: list[int]
    receipts: list[tuple[int, str | None]]
    lock = threading.Lock()

    def _answer(self, status: int) -> None:
        user = _fan_of(self)
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


class _Line(BaseHTTPRequestHandler):
    """A waiting room in miniature for k6/queue-watch.js: entry numbers in arrival order, a
    public state whose `serving` moves SERVED_PER_SECOND places a second, heartbeats that
    answer `admitted` once the line has reached the fan, and leaving."""

    SERVED_PER_SECOND = 10
    started: float
    entries: dict[int, int]
    calls: list[tuple[str, int, float]]  # (kind, user (0: none), seconds since start)
    lock = threading.Lock()

    def _now(self) -> float:
        return time.monotonic() - self.started

    def _serving(self) -> int:
        return int(self._now() * self.SERVED_PER_SECOND)

    def _send(self, status: int, body: dict[str, object] | None = None, **headers: str) -> None:
        raw = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _place(self, user: int, *, entering: bool = False) -> dict[str, object]:
        """An entry is always answered `waiting`: the fan claims once the state says so."""
        entry = self.entries[user]
        if self._serving() >= entry and not entering:
            return {"status": "admitted", "position": 0, "access_token": "a"}
        return {
            "status": "waiting",
            "position": max(1, entry - self._serving()),
            "entry_number": entry,
            "heartbeat_seconds": 1,
            "queue_token": f"q.{user}.1.{entry}.sig",
        }

    def do_POST(self) -> None:
        user = _fan_of(self)
        with self.lock:
            self.entries.setdefault(user, len(self.entries) + 1)
            self.calls.append(("enter", user, self._now()))
            place = self._place(user, entering=True)
        self._send(201, place)

    def do_GET(self) -> None:
        if self.path.endswith("/state"):
            serving = self._serving()
            with self.lock:
                self.calls.append(("state", 0, self._now()))
            # `serving` followed by a comma, as the real state's JSON has it.
            self._send(200, {"serving": serving, "waiting": 0}, ETag=f'"{serving}"')
            return
        user = _fan_of(self)
        with self.lock:
            place = self._place(user)
            self.calls.append((f"beat:{place['status']}", user, self._now()))
        self._send(200, place)

    def do_DELETE(self) -> None:
        with self.lock:
            self.calls.append(("leave", _fan_of(self), self._now()))
        self._send(204)

    def log_message(self, *args: object) -> None:
        pass


def test_watching_fans_enter_watch_beat_claim_when_served_and_leave(tmp_path: Path) -> None:
    calls: list[tuple[str, int, float]] = []
    handler = type("Line", (_Line,), {"started": time.monotonic(), "entries": {}, "calls": calls})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fans = 20
    try:
        run_k6(
            "queue-watch.js",
            tmp_path,
            BASE_URL=f"http://127.0.0.1:{server.server_address[1]}",
            FANS=fans,
            VUS=2,
            USER_OFFSET=500,
            WATCH_SECONDS=1,
            ENTRY_SPREAD=1,
            DURATION_SECONDS=6,
        )
    finally:
        server.shutdown()
        server.server_close()
    users = set(range(501, 501 + fans))
    by_kind: dict[str, list[int]] = {}
    for kind, user, _ in calls:
        by_kind.setdefault(kind, []).append(user)
    # Each fan entered once, and left once, after the answer that admitted it.
    assert sorted(by_kind["enter"]) == sorted(users)
    assert sorted(by_kind["leave"]) == sorted(users)
    for user in users:
        mine = [kind for kind, who, _ in calls if who == user]
        assert mine.count("beat:admitted") == 1, (user, mine)
        assert mine.index("beat:admitted") == len(mine) - 2, (user, mine)  # then it left
        assert len(mine) <= 8, (user, mine)  # no fan on a loop of its own
    # Every fan watched the state on its own timer until served: at least once each, and
    # about once a second each while it waited (up to two seconds here).
    assert fans <= len(by_kind["state"]) <= fans * 4
