"""Async HTTP clients to pods: one connection pool per pod, endpoints from the catalog.

Handlers never import this module; domain code (routing, fanout, jobs) does, and
translates `PodRequestError` at its boundary.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json as _json
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy

from tricircle.clients.http import HttpError, HttpPool
from tricircle.identity.service_auth import ServiceAuth

LOG = logging.getLogger(__name__)

# Hop-by-hop and per-connection headers never forwarded in either direction.
HOP_HEADERS = frozenset(h.lower() for h in (
    "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailers",
    "Transfer-Encoding", "Upgrade", "Host", "Content-Length", "Accept-Encoding",
    "Content-Encoding"))


class PodRequestError(Exception):
    """The pod could not be reached, timed out, or has no such endpoint."""

    def __init__(self, region: str, message: str) -> None:
        self.region = region
        super().__init__(f"{region}: {message}")


@dataclass(slots=True)
class PodResponse:
    status: int
    headers: CIMultiDictProxy[str] | CIMultiDict[str]
    body: bytes
    elapsed: float = 0.0

    def json(self) -> Any:
        import json
        return json.loads(self.body) if self.body else None


@dataclass
class PodClient:
    """Client of one pod (region): base URL per service type, a keep-alive pool for
    buffered calls (`request`) and an aiohttp session for streamed ones."""

    region: str
    endpoints: dict[str, str]
    # the aiohttp session is made on first use: most pods never stream, and each
    # session's connector keeps timers running (1000 pods: 1000 of them)
    session_factory: Callable[[], aiohttp.ClientSession]
    timeout: float = 60.0
    fetched_at: float = field(default_factory=time.monotonic)
    pool: HttpPool = field(default_factory=HttpPool)

    @property
    def session(self) -> aiohttp.ClientSession:
        """The pod's aiohttp session (streamed calls)."""
        return self.session_factory()

    def url(self, service_type: str, path: str) -> str:
        base = self.endpoints.get(service_type)
        if base is None and service_type == "volumev3":
            base = self.endpoints.get("block-storage")
        if base is None:
            raise PodRequestError(self.region, f"no {service_type} endpoint in the catalog")
        return base + path

    async def request(self, service_type: str, method: str, path: str, *,
                      headers: Mapping[str, str] | None = None,
                      params: Any = None, body: bytes | None = None, json: Any = None,
                      timeout: float | None = None) -> PodResponse:
        """Send one request to this pod and read the whole answer.

        `path` is relative to the service's catalog URL (e.g. "/servers/<id>").
        Raises PodRequestError when the pod cannot be reached or times out.
        """
        return await self.fetch(method, self.url(service_type, path), headers=headers,
                                params=params, body=body, json=json, timeout=timeout)

    async def fetch(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                    params: Any = None, body: bytes | None = None, json: Any = None,
                    timeout: float | None = None) -> PodResponse:
        """`request` for an absolute URL of this pod (e.g. a service's unversioned
        root). Raises PodRequestError when the pod cannot be reached or times out."""
        started = time.monotonic()
        if json is not None:
            body = _json.dumps(json).encode()
            if not any(name.lower() == "content-type" for name in (headers or {})):
                headers = {**(headers or {}), "Content-Type": "application/json"}
        try:
            async with asyncio.timeout(timeout or self.timeout):
                answer = await self.pool.request(method, url, headers=headers, params=params,
                                                 body=body)
        except (HttpError, TimeoutError, OSError, ValueError) as exc:
            raise PodRequestError(self.region, f"{method} {url}: {exc!r}") from exc
        return PodResponse(answer.status, answer.headers, answer.body,
                           time.monotonic() - started)

    @contextlib.asynccontextmanager
    async def stream(self, service_type: str, method: str, path: str, *,
                     headers: Mapping[str, str] | None = None, params: Any = None,
                     body: Any = None, timeout: float | None = None
                     ) -> AsyncIterator[aiohttp.ClientResponse]:
        """Send one request and yield the open response, its body unread (image
        data: read it in chunks, never whole). `body` may be bytes or an async
        iterator of chunks. `timeout` bounds connecting and each read, not the
        whole transfer. Raises PodRequestError when the pod cannot be reached."""
        url = self.url(service_type, path)
        limit = timeout or self.timeout
        client_timeout = aiohttp.ClientTimeout(total=None, connect=limit, sock_read=limit)
        try:
            async with self.session.request(method, url, headers=headers, params=params,
                                            data=body, timeout=client_timeout) as resp:
                yield resp
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise PodRequestError(self.region, f"{method} {url}: {exc!r}") from exc


class PodClients:
    """Registry of PodClient by region; endpoints re-read from the catalog periodically."""

    def __init__(self, service_auth: ServiceAuth, *, timeout: float = 60.0,
                 pool_size: int = 100, refresh: float = 300.0) -> None:
        self._auth = service_auth
        self._timeout = timeout
        self._pool_size = pool_size
        self._refresh = refresh
        self._clients: dict[str, PodClient] = {}
        self._sessions: dict[str, aiohttp.ClientSession] = {}
        self._pools: dict[str, HttpPool] = {}
        self._lock = asyncio.Lock()
        self._overrides: dict[str, dict[str, str]] = {}

    def set_endpoints(self, region: str, endpoints: dict[str, str]) -> None:
        """Pin a region's endpoints (tests, benchmarks, pods outside the catalog)."""
        self._overrides[region] = {k: v.rstrip("/") for k, v in endpoints.items()}
        self._clients.pop(region, None)

    async def get(self, region: str) -> PodClient:
        """The client of `region`. Raises PodRequestError if the catalog has no such region."""
        client = self._clients.get(region)
        if client is not None and time.monotonic() - client.fetched_at < self._refresh:
            return client
        async with self._lock:
            client = self._clients.get(region)
            if client is None or time.monotonic() - client.fetched_at >= self._refresh:
                client = await self._build(region)
                self._clients[region] = client
        return client

    async def _build(self, region: str) -> PodClient:
        endpoints = self._overrides.get(region)
        if endpoints is None:
            try:
                endpoints = await self._auth.endpoints(region)
            except Exception as exc:  # keystone down: keep the old client if any
                old = self._clients.get(region)
                if old is not None:
                    old.fetched_at = time.monotonic()
                    return old
                raise PodRequestError(region, f"catalog unavailable: {exc}") from exc
        if not endpoints:
            raise PodRequestError(region, "region not in the Keystone catalog")
        pool = self._pools.get(region)
        if pool is None:
            pool = self._pools[region] = HttpPool(limit=self._pool_size)
        return PodClient(region, endpoints, functools.partial(self._session, region),
                         self._timeout, pool=pool)

    def _session(self, region: str) -> aiohttp.ClientSession:
        session = self._sessions.get(region)
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300,
                                             enable_cleanup_closed=True)
            session = aiohttp.ClientSession(connector=connector, auto_decompress=False,
                                            skip_auto_headers=("User-Agent",))
            self._sessions[region] = session
        return session

    async def close(self) -> None:
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()
        self._clients.clear()
