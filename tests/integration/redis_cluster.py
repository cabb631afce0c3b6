"""A real 6-node Redis Cluster (3 primaries, 3 replicas) on loopback ports, for tests."""

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BASE_PORT = 30101


@contextmanager
def redis_cluster(workdir: Path, base_port: int = BASE_PORT) -> Iterator[str]:
    """Starts the nodes, joins them into a cluster, yields a startup URL, stops them."""
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if not server or not cli:
        raise RuntimeError("redis-server and redis-cli are needed (scripts/services deps)")
    ports = [base_port + i for i in range(6)]
    for port in ports:
        node = workdir / str(port)
        node.mkdir(parents=True, exist_ok=True)
        subprocess.run(
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
                "--daemonize",
                "yes",
                "--logfile",
                str(node / "redis.log"),
            ],
            check=True,
        )
    try:
        for port in ports:
            _wait(lambda p=port: _cli(cli, p, "ping") == "PONG")
        subprocess.run(
            [
                cli,
                "--cluster",
                "create",
                *[f"127.0.0.1:{p}" for p in ports],
                "--cluster-replicas",
                "1",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
        )
        _wait(lambda: "cluster_state:ok" in _cli(cli, ports[0], "cluster", "info"))
        yield f"redis://127.0.0.1:{ports[0]}/0"
    finally:
        for port in ports:
            subprocess.run([cli, "-p", str(port), "shutdown", "nosave"], capture_output=True)


def _cli(cli: str, port: int, *args: str) -> str:
    done = subprocess.run([cli, "-p", str(port), *args], capture_output=True, text=True)
    return done.stdout.strip()


def _wait(ready: object, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise RuntimeError("the Redis Cluster did not come up")
