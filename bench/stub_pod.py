"""Simulated Nova endpoints for benchmarks: one process, N pods, one port each.

Each pod is a separate listening port, so the gateway sees N distinct
`http://127.0.0.1:<port>/v2.1` compute endpoints (own connection pools, own
links). Served, with Nova's semantics where a list client would notice them:

- `GET /v2.1/servers/{id}` (404 `itemNotFound` for an unknown id);
- `GET /v2.1/servers` and `/v2.1/servers/detail`: `sort_key`/`sort_dir` (repeatable,
  default `created_at desc, id desc`), `limit` (capped at 1000), `marker`
  (400 `badRequest` when unknown), `servers_links` next href when a page is full;
- version documents at `/` and `/v2.1` (health probes, capabilities);
- Glance: `GET /v2/images` (one image per server, same id and creation time;
  `limit` default 25, `marker`, `sort_key`/`sort_dir`, relative `next`) and
  `GET /v2/images/{id}`, for the image list benchmark (bench/images.py);
- `GET /_stub/stats`: requests served per pod (benchmarks check the fan-out).

Latency: `--latency` seconds per request (default 0.02), `--slow I:SECONDS`
for single pods, `--latency 0` = instant mode.

Engines: `--engine aiohttp` (default) or `--engine raw`, a minimal asyncio
protocol serving the same bytes several times faster, so that one stub process
on one core can answer 1000 pods without being what the benchmark measures.

Started by the harness; prints nothing, writes `--ready-file` (JSON with the
ports) once every socket listens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web
from multidict import MultiDict

PROJECT_ID = "b5e6c3a1d2f44c0b9a8e7d6c5b4a3f21"
USER_ID = "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"
_BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)
_NS = uuid.UUID("9d3c6a55-4a8e-4bd5-9f0e-8d2a1e0b7c64")
MAX_LIMIT = 1000
_SPAN = 90 * 86400   # creation times spread over 90 days; 7919 is coprime with it
SORT_KEYS = {"created_at", "updated_at", "id", "uuid", "name", "display_name",
             "launched_at", "status", "host", "vm_state"}
_KEY_ALIAS = {"uuid": "id", "display_name": "name", "launched_at": "OS-SRV-USG:launched_at",
              "vm_state": "OS-EXT-STS:vm_state", "host": "OS-EXT-SRV-ATTR:host"}


def server_id(pod: int, index: int) -> str:
    """Deterministic id of server `index` in pod `pod` (harness and stub agree)."""
    return str(uuid.uuid5(_NS, f"{pod}/{index}"))


def created_at(pod: int, index: int) -> str:
    """Creation times interleave across pods so a merge has real work to do, and
    are unique (pods x 1000 servers at most), so the expected order has no ties
    whose order would be implementation-defined."""
    k = pod * 1000 + index % 1000
    when = _BASE_TIME + timedelta(seconds=(k * 7919 + 12345) % _SPAN)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_server(pod: int, index: int, base: str) -> dict[str, Any]:
    """A Nova 2.1 server detail record of realistic size (~1.6 KB of JSON)."""
    sid = server_id(pod, index)
    ts = created_at(pod, index)
    href = f"{base}/v2.1/servers/{sid}"
    bookmark = f"{base}/servers/{sid}"
    return {
        "id": sid, "name": f"vm-{pod:04d}-{index:04d}", "status": "ACTIVE",
        "tenant_id": PROJECT_ID, "user_id": USER_ID, "metadata": {"bench": "1"},
        "hostId": "3f4c" * 14, "created": ts, "updated": ts,
        "image": {"id": "7a1b5c3e-0f2d-4e6a-9b8c-1d2e3f4a5b6c",
                  "links": [{"rel": "bookmark", "href": f"{base}/images/7a1b"}]},
        "flavor": {"id": "1", "links": [{"rel": "bookmark", "href": f"{base}/flavors/1"}]},
        "addresses": {"private": [{"version": 4, "addr": f"10.{pod % 250}.{index % 250}.5",
                                   "OS-EXT-IPS:type": "fixed",
                                   "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:01"}]},
        "accessIPv4": "", "accessIPv6": "", "config_drive": "", "key_name": None,
        "links": [{"rel": "self", "href": href}, {"rel": "bookmark", "href": bookmark}],
        "progress": 0, "security_groups": [{"name": "default"}],
        "OS-DCF:diskConfig": "MANUAL", "OS-EXT-AZ:availability_zone": "nova",
        "OS-EXT-STS:power_state": 1, "OS-EXT-STS:task_state": None,
        "OS-EXT-STS:vm_state": "active", "OS-SRV-USG:launched_at": ts.replace("Z", ".000000"),
        "OS-SRV-USG:terminated_at": None, "os-extended-volumes:volumes_attached": [],
        "created_at": ts,
    }


def make_image(server: dict[str, Any]) -> dict[str, Any]:
    """A Glance v2 image record (~700 bytes) sharing the server's id and times."""
    iid = server["id"]
    return {"id": iid, "name": server["name"].replace("vm-", "img-"), "status": "active",
            "visibility": "public", "owner": PROJECT_ID, "protected": False,
            "os_hidden": False, "disk_format": "qcow2", "container_format": "bare",
            "size": 21692416, "virtual_size": 117440512, "min_disk": 0, "min_ram": 0,
            "checksum": "443b7623e27ecf03dc9e01ee93f67afe", "os_hash_algo": "sha512",
            "os_hash_value": "6513f21e44aa3da349f248188a44bc304a3653a04122d8fb4535423c8e1d14cd"
                             "6a153f735bb0982e2161b5b5186106570c17a9e58b64dd39390617cd5a350f78",
            "tags": [], "created_at": server["created"], "updated_at": server["updated"],
            "self": f"/v2/images/{iid}", "file": f"/v2/images/{iid}/file",
            "schema": "/v2/schemas/image"}


@dataclass
class Pod:
    index: int
    base: str                      # http://127.0.0.1:port
    latency: float
    servers: list[dict[str, Any]] = field(default_factory=list)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    # pre-serialized records: lists are joined bytes, not re-encoded per request
    detail_json: dict[str, bytes] = field(default_factory=dict)
    brief_json: dict[str, bytes] = field(default_factory=dict)
    image_json: dict[str, bytes] = field(default_factory=dict)
    sorted_cache: dict[tuple[tuple[str, str], ...], list[str]] = field(default_factory=dict)
    hits: int = 0

    def load(self, count: int) -> None:
        self.servers = [make_server(self.index, j, self.base) for j in range(count)]
        for s in self.servers:
            self.by_id[s["id"]] = s
            self.detail_json[s["id"]] = json.dumps(s, separators=(",", ":")).encode()
            self.brief_json[s["id"]] = json.dumps(
                {"id": s["id"], "name": s["name"], "links": s["links"]},
                separators=(",", ":")).encode()
            self.image_json[s["id"]] = json.dumps(make_image(s), separators=(",", ":")).encode()

    def ordered(self, sort: tuple[tuple[str, str], ...]) -> list[str]:
        ids = self.sorted_cache.get(sort)
        if ids is None:
            items = list(self.servers)
            for key, direction in reversed(sort):   # stable sort, last key first
                wire = _KEY_ALIAS.get(key, key)
                items.sort(key=lambda s, w=wire: (s.get(w) is None, s.get(w) or ""),
                           reverse=direction == "desc")
            ids = self.sorted_cache[sort] = [s["id"] for s in items]
        return ids


class BadRequest(Exception):
    pass


def parse_sort(query: Any) -> tuple[tuple[str, str], ...]:
    keys = query.getall("sort_key", [])
    dirs = query.getall("sort_dir", [])
    if not keys:
        return (("created_at", "desc"), ("id", "desc"))
    out = []
    for i, key in enumerate(keys):
        if key not in SORT_KEYS:
            raise BadRequest(f"Invalid sort_key {key}")
        direction = dirs[i] if i < len(dirs) else "desc"
        if direction not in ("asc", "desc"):
            raise BadRequest(f"Invalid sort_dir {direction}")
        out.append((key, direction))
    if not any(k in ("id", "uuid") for k, _ in out):
        out.append(("id", "desc"))   # Nova adds a unique key so pages are stable
    return tuple(out)


def page(pod: Pod, query: Any) -> tuple[list[str], int]:
    """Ids of the requested page and the effective limit. Raises BadRequest."""
    ordered = pod.ordered(parse_sort(query))
    limit = MAX_LIMIT
    if "limit" in query:
        try:
            limit = int(query["limit"])
        except ValueError as exc:
            raise BadRequest("limit param must be an integer") from exc
        if limit < 0:
            raise BadRequest("limit param must be positive")
        limit = min(limit, MAX_LIMIT)
    start = 0
    marker = query.get("marker")
    if marker is not None:
        if marker not in pod.by_id:
            raise BadRequest(f"marker [{marker}] not found")
        start = ordered.index(marker) + 1
    return ordered[start:start + limit], limit


Answer = tuple[int, dict[str, str], bytes]


def _headers(wanted: str) -> dict[str, str]:
    version = wanted.split(" ", 1)[1] if wanted.startswith("compute ") else "2.1"
    rid = "req-" + str(uuid.uuid4())
    return {"OpenStack-API-Version": f"compute {version}",
            "X-OpenStack-Nova-API-Version": version,
            "Vary": "OpenStack-API-Version, X-OpenStack-Nova-API-Version",
            "x-openstack-request-id": rid, "x-compute-request-id": rid,
            "Content-Type": "application/json"}


def _fault(status: int, kind: str, message: str, wanted: str) -> Answer:
    body = json.dumps({kind: {"code": status, "message": message}}).encode()
    return status, _headers(wanted), body


def answer(pod: Pod, method: str, path: str, query: MultiDict[str], wanted: str) -> Answer:
    """What pod `pod` answers to `method path?query` (`wanted`: microversion header).

    Framework-free, so the aiohttp and the raw engine serve the same bytes.
    """
    if method != "GET":
        return _fault(405, "badMethod", "Method not allowed", wanted)
    path = path.rstrip("/")
    if path in ("", "/v2.1"):
        return 200, {"Content-Type": "application/json"}, _version_doc(pod, path == "")
    if path == "/v2.1/servers/detail":
        return _list(pod, query, wanted, detail=True)
    if path == "/v2.1/servers":
        return _list(pod, query, wanted, detail=False)
    if path == "/v2/images":
        return _images(pod, query)
    if path.startswith("/v2/images/") and path.count("/") == 3:
        body = pod.image_json.get(path.rsplit("/", 1)[1])
        if body is None:
            return 404, {"Content-Type": "text/html"}, b"<h1>404 Not Found</h1>"
        return 200, {"Content-Type": "application/json"}, body
    if path.startswith("/v2.1/servers/") and path.count("/") == 3:
        sid = path.rsplit("/", 1)[1]
        body = pod.detail_json.get(sid)
        if body is None:
            return _fault(404, "itemNotFound", f"Instance {sid} could not be found.", wanted)
        return 200, _headers(wanted), b'{"server":' + body + b"}"
    return _fault(404, "itemNotFound", "The resource could not be found.", wanted)


def _list(pod: Pod, query: MultiDict[str], wanted: str, *, detail: bool) -> Answer:
    try:
        ids, limit = page(pod, query)
    except BadRequest as exc:
        return _fault(400, "badRequest", str(exc), wanted)
    records = pod.detail_json if detail else pod.brief_json
    body = b'{"servers":[' + b",".join(records[i] for i in ids) + b"]"
    if ids and len(ids) == limit:
        path = "servers/detail" if detail else "servers"
        next_query = [(k, v) for k, v in query.items() if k != "marker"]
        next_query.append(("marker", ids[-1]))
        href = f"{pod.base}/v2.1/{path}?{urlencode(next_query)}"
        body += b',"servers_links":' + json.dumps([{"rel": "next", "href": href}]).encode()
    return 200, _headers(wanted), body + b"}"


def _images(pod: Pod, query: MultiDict[str]) -> Answer:
    """Glance's list: default page 25, relative `first`/`next` hrefs."""
    query = MultiDict(query)
    query.setdefault("limit", "25")
    try:
        ids, limit = page(pod, query)
    except BadRequest as exc:
        return 400, {"Content-Type": "text/html"}, f"<h1>400 Bad Request</h1>{exc}".encode()
    body = b'{"images":[' + b",".join(pod.image_json[i] for i in ids) + b"]"
    body += b',"first":"/v2/images","schema":"/v2/schemas/images"'
    if ids and len(ids) == limit:
        next_query = [(k, v) for k, v in query.items() if k != "marker"]
        next_query.append(("marker", ids[-1]))
        body += b',"next":"/v2/images?' + urlencode(next_query).encode() + b'"'
    return 200, {"Content-Type": "application/json"}, body + b"}"


def _version_doc(pod: Pod, root: bool) -> bytes:
    version = {"id": "v2.1", "status": "CURRENT", "version": "2.96", "min_version": "2.1",
               "updated": "2013-07-23T11:33:21Z",
               "links": [{"rel": "self", "href": pod.base + "/v2.1/"}]}
    return json.dumps({"versions": [version]} if root else {"version": version}).encode()


def _stats(pods: dict[int, Pod]) -> Answer:
    body = json.dumps({str(i): p.hits for i, p in pods.items()}).encode()
    return 200, {"Content-Type": "application/json"}, body


# ---- engine 1: aiohttp ---------------------------------------------------------------

def aiohttp_app(pods: dict[int, Pod]) -> web.Application:
    """One catch-all route; the pod is chosen by the local port of the connection."""
    by_port = {int(p.base.rsplit(":", 1)[1]): p for p in pods.values()}

    async def handle(request: web.Request) -> web.Response:
        if request.path == "/_stub/stats":
            status, headers, body = _stats(pods)
        else:
            sockname = request.transport.get_extra_info("sockname")  # type: ignore[union-attr]
            pod = by_port[sockname[1]]
            pod.hits += 1
            if pod.latency > 0:
                await asyncio.sleep(pod.latency)
            status, headers, body = answer(pod, request.method, request.path, request.query,
                                           request.headers.get("OpenStack-API-Version", ""))
        return web.Response(status=status, body=body, headers=headers)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


# ---- engine 2: raw asyncio protocol (fast; for 1000-pod fan-outs and ceilings) --------

_REASONS = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 405: b"Method Not Allowed"}


class RawProtocol(asyncio.Protocol):
    """Minimal HTTP/1.1 keep-alive server of one pod (GET only, no request bodies).

    Answers are sent in request order even when latency delays them.
    """

    def __init__(self, pod: Pod, pods: dict[int, Pod]) -> None:
        self.pod = pod
        self.pods = pods
        self.buf = b""
        self.transport: asyncio.Transport | None = None
        self.queue: list[list[bytes | None]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buf = self.buf[:end].decode("latin-1"), self.buf[end + 4:]
            self._request(head)

    def _request(self, head: str) -> None:
        lines = head.split("\r\n")
        method, target = lines[0].split(" ", 2)[:2]
        wanted = ""
        for line in lines[1:]:
            if line[:22].lower() == "openstack-api-version:":
                wanted = line.split(":", 1)[1].strip()
        path, _, qs = target.partition("?")
        query: MultiDict[str] = MultiDict(parse_qsl(qs, keep_blank_values=True))
        if path == "/_stub/stats":
            status, headers, body = _stats(self.pods)
        else:
            self.pod.hits += 1
            status, headers, body = answer(self.pod, method, path, query, wanted)
        head_out = [f"HTTP/1.1 {status} ".encode() + _REASONS.get(status, b"X")]
        head_out += [f"{k}: {v}".encode() for k, v in headers.items()]
        head_out.append(b"Content-Length: " + str(len(body)).encode())
        slot: list[bytes | None] = [b"\r\n".join(head_out) + b"\r\n\r\n" + body]
        if self.pod.latency > 0 and path != "/_stub/stats":
            ready, slot[0] = slot[0], None
            asyncio.get_running_loop().call_later(self.pod.latency, self._ready, slot, ready)
        self.queue.append(slot)
        self._flush()

    def _ready(self, slot: list[bytes | None], data: bytes) -> None:
        slot[0] = data
        self._flush()

    def _flush(self) -> None:
        while self.queue and self.queue[0][0] is not None:
            data = self.queue.pop(0)[0]
            if self.transport is not None and data is not None:
                self.transport.write(data)


# ---- process entry point --------------------------------------------------------

def _listen(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.listen(4096)
    sock.setblocking(False)
    return sock


def parse_slow(values: list[str]) -> dict[int, float]:
    out = {}
    for v in values:
        index, seconds = v.split(":")
        out[int(index)] = float(seconds)
    return out


async def serve(args: argparse.Namespace) -> None:
    socks = [_listen(args.host) for _ in range(args.pods)]
    slow = parse_slow(args.slow)
    pods = {}
    for i, sock in enumerate(socks):
        base = f"http://{args.host}:{sock.getsockname()[1]}"
        pods[i] = Pod(i, base, slow.get(i, args.latency))
        pods[i].load(args.servers)
    loop = asyncio.get_running_loop()
    if args.engine == "raw":
        for i, sock in enumerate(socks):
            server = await loop.create_server(
                lambda pod=pods[i]: RawProtocol(pod, pods), sock=sock)  # type: ignore[misc]
            await server.start_serving()
    else:
        runner = web.AppRunner(aiohttp_app(pods), access_log=None)
        await runner.setup()
        for sock in socks:
            await web.SockSite(runner, sock).start()
    ports = [s.getsockname()[1] for s in socks]
    tmp = args.ready_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"ports": ports, "pid": os.getpid()}, f)
    os.replace(tmp, args.ready_file)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=1)
    parser.add_argument("--servers", type=int, default=10, help="servers per pod")
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--slow", action="append", default=[], metavar="POD:SECONDS")
    parser.add_argument("--engine", choices=["aiohttp", "raw"], default="aiohttp",
                        help="aiohttp app, or a minimal asyncio protocol (several times faster)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--ready-file", required=True)
    args = parser.parse_args()
    import uvloop
    uvloop.run(serve(args))


if __name__ == "__main__":
    main()
