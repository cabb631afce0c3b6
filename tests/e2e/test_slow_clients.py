"""Slow clients cannot hold the server's workers. granian alone hands a request to a Python
thread as soon as its headers are in, and the thread then waits for the body. So in
production granian runs behind nginx (scripts/nginx_proxy.py), which buffers each request in
full and gives up on a slow one after 10 s. Eight clients that send their headers and then
stall do not keep a server with one Python thread from answering someone else."""

import socket
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

from scripts.nginx_proxy import nginx_in_front
from tests.e2e.test_quick_start import server  # noqa: F401  (fixture)
from tests.network import free_port


def slow_client(base: str, stack: ExitStack) -> None:
    address = urlsplit(base)
    sock = stack.enter_context(socket.create_connection((address.hostname, address.port)))
    sock.sendall(
        b"POST /api/v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"user'
    )  # ... and the other 994 bytes never come


def test_behind_nginx_slow_clients_do_not_hold_the_workers(
    server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    upstream = urlsplit(server).port
    assert upstream is not None
    with (
        nginx_in_front([upstream], port=free_port(), parent=tmp_path) as front,
        ExitStack() as stack,
    ):
        for _ in range(8):
            slow_client(front, stack)
        # A generous limit: this checks that the answer comes at all, not how fast.
        with urllib.request.urlopen(f"{front}/api/v1/concerts", timeout=8) as answer:
            assert answer.status == 200
