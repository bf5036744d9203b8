"""Our own nginx instances (never the system's): a reverse proxy and a static upstream.

Each instance runs from a config written under the benchmark's temp dir, on a
free port, `worker_processes 1`, in the foreground so the harness owns it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from bench import procs

_COMMON = """\
worker_processes 1;
daemon off;
user root;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 1000000;
{body}
}}
"""

_PROXY = """\
    upstream pod {{ server {upstream}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://pod;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering on;
        }}
    }}
"""

_STATIC = """\
    server {{
        listen 127.0.0.1:{port};
        location /v2.1/servers/ {{
            default_type application/json;
            add_header OpenStack-API-Version "compute 2.1";
            add_header X-OpenStack-Nova-API-Version "2.1";
            add_header x-openstack-request-id "req-00000000-0000-0000-0000-000000000000";
            root {dir};
            rewrite ^ /server.json break;
        }}
    }}
"""


def binary() -> str | None:
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def _start(name: str, workdir: Path, body: str, port: int, core: int) -> procs.Proc:
    exe = binary()
    if exe is None:
        raise RuntimeError("nginx is not installed (apt-get install -y nginx-light)")
    d = workdir / name
    d.mkdir(parents=True, exist_ok=True)
    conf = d / "nginx.conf"
    conf.write_text(_COMMON.format(dir=d, body=body))
    proc = procs.start(name, [exe, "-c", str(conf), "-p", str(d), "-e", str(d / "error.log")],
                       core=core, workdir=workdir)
    procs.wait_http(proc, f"http://127.0.0.1:{port}/")
    return proc


def start_proxy(workdir: Path, upstream: str, core: int) -> tuple[procs.Proc, int]:
    """nginx reverse proxy to `upstream` ("host:port"); returns (process, port)."""
    port = procs.free_port()
    return _start("nginx-proxy", workdir, _PROXY.format(upstream=upstream, port=port),
                  port, core), port


def start_static(workdir: Path, server: Callable[[str], dict],
                 core: int) -> tuple[procs.Proc, int]:
    """nginx answering every GET /v2.1/servers/<id> with `server(its base URL)`
    (an instant upstream whose links name itself, as a pod's do)."""
    port = procs.free_port()
    d = workdir / "nginx-upstream"
    d.mkdir(parents=True, exist_ok=True)
    body = {"server": server(f"http://127.0.0.1:{port}")}
    (d / "server.json").write_text(json.dumps(body, separators=(",", ":")))
    return _start("nginx-upstream", workdir, _STATIC.format(port=port, dir=d), port, core), port
