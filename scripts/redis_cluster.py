"""A real 6-node Redis Cluster (3 primaries, 3 replicas) on loopback ports, for the tests and
the scale-out benchmark."""

import random
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    # The cluster bus listens on port + 10000.
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port + 10000))
        except OSError:
            return False
    return True


def free_base_port() -> int:
    """Six free consecutive ports (and their cluster-bus ports), chosen at random."""
    for _ in range(50):
        base = random.randrange(20000, 29990)
        if all(_free(base + i) for i in range(6)):
            return base
    raise RuntimeError("no six free consecutive ports")


@contextmanager
def redis_cluster(workdir: Path, base_port: int | None = None) -> Iterator[str]:
    """Starts the nodes, joins them into a cluster, yields a startup URL, stops them."""
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if not server or not cli:
        raise RuntimeError("redis-server and redis-cli are needed (scripts/services deps)")
    base_port = base_port or free_base_port()
    ports = [base_port + i for i in range(6)]
    nodes = []
    for port in ports:
        node = workdir / str(port)
        node.mkdir(parents=True, exist_ok=True)
        nodes.append(
            subprocess.Popen(
                [
                    server,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    str(node / "nodes.conf"),
                    "--dir",
                    str(node),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--logfile",
                    str(node / "redis.log"),
                ],
            )
        )
    try:
        for port in ports:
            _wait(lambda p=port: _cli(cli, p, "ping") == "PONG")
        created = subprocess.run(
            [
                cli,
                "--cluster",
                "create",
                *[f"127.0.0.1:{p}" for p in ports],
                "--cluster-replicas",
                "1",
                "--cluster-yes",
            ],
            capture_output=True,
            text=True,
        )
        if created.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed: {created.stdout[-2000:]}")
        _wait(lambda: all("cluster_state:ok" in _cli(cli, p, "cluster", "info") for p in ports))
        yield f"redis://127.0.0.1:{ports[0]}/0"
    finally:
        for process in nodes:
            process.terminate()
        for process in nodes:
            process.wait(timeout=30)


def _cli(cli: str, port: int, *args: str) -> str:
    done = subprocess.run([cli, "-p", str(port), *args], capture_output=True, text=True)
    return done.stdout.strip()


def _wait(ready: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise RuntimeError("the Redis Cluster did not come up")
