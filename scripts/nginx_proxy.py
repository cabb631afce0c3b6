"""nginx in front of app servers on loopback, as in production: it buffers each request in
full before passing it on, so a slow client ties up a connection slot of nginx and never a
Python thread, and gives up on it after 10 s. Used by the scale-out benchmark and the
slow-client test."""

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CONFIG = """worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {workdir}/body;
  proxy_temp_path {workdir}/proxy;
  client_header_timeout 10s;
  client_body_timeout 10s;
  client_max_body_size 64k;
  upstream api {{
{servers}
    keepalive 256;
  }}
  server {{
    listen 127.0.0.1:{port} backlog=2048;
    location / {{
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Real-IP $remote_addr;
    }}
  }}
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(found).exists():
        raise RuntimeError("nginx is needed: scripts/services deps installs it")
    return found


@contextmanager
def nginx_in_front(upstream_ports: list[int], *, port: int, parent: Path) -> Iterator[str]:
    """Runs nginx on 127.0.0.1:port in front of the upstreams; yields its base URL."""
    parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="nginx-", dir=parent))
    servers = "\n".join(f"    server 127.0.0.1:{upstream};" for upstream in upstream_ports)
    (workdir / "nginx.conf").write_text(CONFIG.format(workdir=workdir, servers=servers, port=port))
    process = subprocess.Popen(
        [nginx_binary(), "-c", str(workdir / "nginx.conf"), "-g", "daemon off;"],
        start_new_session=True,
    )
    time.sleep(0.5)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
