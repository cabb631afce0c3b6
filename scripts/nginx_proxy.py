"""nginx in front of app servers on loopback, as in production:
- it buffers each request in full before passing it on, so a slow client ties up a
  connection slot of nginx and never a Python thread, and gives up on it after 10 s;
- it keeps connections to the app servers alive;
- it caches each schedule's public queue state for the second the app allows
  (`Cache-Control: max-age=1`): one request a second per schedule reaches the app however
  many fans watch; the others get the cached copy, or a 304 for their ETag. While the copy is
  renewed, one request goes to the app and the rest get the copy (lock, stale while
  updating); if the app answers an error, the last copy serves for a few more seconds
  (`stale-if-error` from the app). Each seat map the same way (485 KB for 5,000 seats,
  read once by every admitted fan); its statuses alone, asked for after a 409, never;
- it stamps each request with the time it got it (`X-Request-Start`), so the app can tell
  how long a booking waited before a thread took it;
- it can send what admitted fans do (holds, payments, the seat map) to app servers of their
  own (`--booking-upstream`), so that the waiting room's traffic, however heavy, never
  queues in front of a booking: each pool only shares the cores.
`make serve` runs it in front of granian (`python scripts/nginx_proxy.py`); so do the
slow-client test and the benchmarks."""

import argparse
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Connections: every waiting fan's browser keeps one open to nginx, and each request in
# flight takes a second one to the app. With 4,096 a flash sale of 20,000 fans on their own
# ran out: nginx then closes idle keep-alive connections to make room, and the fans' next
# requests on them got no answer (`EOF`, "server closed idle connection"; 129,704 of them
# in a scale-out run at 240/s; none with 32,768). The process's open-file limit bounds them
# too (`ulimit -n`: 20,000 on the bench machine).
CONFIG = """worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 32768; }}
http {{
  access_log off;
  client_body_temp_path {workdir}/body;
  proxy_temp_path {workdir}/proxy;
  client_header_timeout 10s;
  client_body_timeout 10s;
  client_max_body_size 64k;
  proxy_cache_path {cache}/state levels=1:2 keys_zone=queue_state:10m max_size=64m
                   inactive=1m use_temp_path=off;
  proxy_cache_path {cache}/seats levels=1:2 keys_zone=seat_maps:10m max_size=256m
                   inactive=1m use_temp_path=off;
  upstream api {{
{servers}
    keepalive 256;
  }}
  upstream booking {{
{booking_servers}
    keepalive 64;
  }}
  server {{
    listen {listen} backlog=2048;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_set_header X-Real-IP $remote_addr;
    # When nginx got the request, for the booking latency adaptive admission steers by.
    proxy_set_header X-Request-Start "t=${{msec}}";
    location / {{
      proxy_pass http://api;
    }}
    # The seat map: public, the same for every fan, cached for the second the app allows
    # like the queue state (nginx takes the first matching regex: this one before the
    # booking pool's). Its statuses alone are `no-cache`: asked for after a 409, they must be
    # fresh.
    location ~ ^/api/v1/schedules/[0-9]+/seats$ {{
      proxy_pass http://booking;
{seat_cache}
    }}
    # What admitted fans do: on the booking pool (the same servers unless it has its own).
    location ~ ^/api/v1/(reservations|payments|schedules/[0-9]+/seats)(/|$) {{
      proxy_pass http://booking;
    }}
    # Operators' endpoints: from private networks only (Prometheus, load balancers, staff
    # on the VPN), never from the internet.
    location ~ ^/(metrics|readyz|admin/) {{
      allow 127.0.0.0/8;
      allow 10.0.0.0/8;
      allow 172.16.0.0/12;
      allow 192.168.0.0/16;
      deny all;
      proxy_pass http://api;
    }}
    location ~ ^/api/v1/schedules/[0-9]+/queue/state$ {{
      proxy_pass http://api;
{state_cache}
    }}
  }}
}}
"""


# A public answer cached for the second the app allows: while a copy is renewed, one request
# goes to the app and the rest get the copy (lock, stale while updating).
MICROCACHE = """      proxy_cache {zone};
      proxy_cache_key $uri;
      proxy_cache_lock on;
      proxy_cache_lock_timeout 2s;
      proxy_cache_use_stale updating;
      proxy_cache_background_update on;
      add_header X-Cache $upstream_cache_status always;"""


def render(
    *,
    workdir: Path,
    cache: Path,
    upstreams: list[str],
    listen: str,
    booking_upstreams: list[str] | None = None,
) -> str:
    def servers(addresses: list[str]) -> str:
        return "\n".join(f"    server {address};" for address in addresses)

    return CONFIG.format(
        workdir=workdir,
        cache=cache,
        servers=servers(upstreams),
        booking_servers=servers(booking_upstreams or upstreams),
        listen=listen,
        state_cache=MICROCACHE.format(zone="queue_state"),
        seat_cache=MICROCACHE.format(zone="seat_maps"),
    )


# docker-compose.yml's nginx in front of the `app` service: generated from the same template
# (`python scripts/nginx_proxy.py --compose-config`); a test keeps the file current.
COMPOSE_CONFIG = Path(__file__).resolve().parent.parent / "config" / "nginx.conf"


def compose_config() -> str:
    return render(
        workdir=Path("/tmp/nginx"),
        cache=Path("/var/cache/nginx/queue"),
        upstreams=["app:8000"],
        listen="0.0.0.0:80",
    )


def nginx_binary() -> str:
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(found).exists():
        raise RuntimeError("nginx is needed: scripts/services deps installs it")
    return found


def wait_until_listening(process: subprocess.Popen[bytes], port: int) -> None:
    """Until nginx accepts connections: a first start on a fresh machine can take seconds."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on {port}")


@contextmanager
def nginx_in_front(
    upstream_ports: list[int],
    *,
    port: int,
    parent: Path,
    booking_ports: list[int] | None = None,
) -> Iterator[str]:
    """Runs nginx on 127.0.0.1:port in front of the upstreams (the booking paths on
    `booking_ports` if given); yields its base URL."""
    parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="nginx-", dir=parent))
    # Started as root, nginx's workers run as an unprivileged user, who must be able to reach
    # the cache: it lives in the system's temporary directory, not under `parent`.
    cache = Path(tempfile.mkdtemp(prefix="nginx-cache-"))
    cache.chmod(0o755)
    (workdir / "nginx.conf").write_text(
        render(
            workdir=workdir,
            cache=cache,
            upstreams=[f"127.0.0.1:{upstream}" for upstream in upstream_ports],
            listen=f"127.0.0.1:{port}",
            booking_upstreams=[f"127.0.0.1:{upstream}" for upstream in booking_ports or []],
        )
    )
    process = subprocess.Popen(
        [nginx_binary(), "-c", str(workdir / "nginx.conf"), "-g", "daemon off;"],
        start_new_session=True,
    )
    try:
        wait_until_listening(process, port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        # Kept beside the run's other logs: what nginx said about a run's failed requests.
        if (workdir / "error.log").exists():
            shutil.copyfile(workdir / "error.log", parent / "nginx-error.log")
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)


def main() -> None:
    """`make serve`: nginx in front of the app servers until stopped."""
    parser = argparse.ArgumentParser(description="nginx in front of app servers on loopback")
    parser.add_argument("--port", type=int)
    parser.add_argument("--upstream", type=int, action="append")
    parser.add_argument(
        "--booking-upstream",
        type=int,
        action="append",
        help="app servers of their own for holds, payments and the seat map",
    )
    parser.add_argument("--workdir", type=Path, default=Path(".run"))
    parser.add_argument("--compose-config", action="store_true", help=f"write {COMPOSE_CONFIG}")
    args = parser.parse_args()
    if args.compose_config:
        COMPOSE_CONFIG.write_text(compose_config())
        return
    if not args.port or not args.upstream:
        parser.error("--port and --upstream are needed to run nginx")
    stop = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with nginx_in_front(
        args.upstream, port=args.port, parent=args.workdir, booking_ports=args.booking_upstream
    ) as url:
        booking = f", booking on {args.booking_upstream}" if args.booking_upstream else ""
        print(f"nginx: {url} -> app servers on ports {args.upstream}{booking}", flush=True)
        while not stop:
            time.sleep(0.5)


if __name__ == "__main__":
    main()
