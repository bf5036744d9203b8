"""A lean HTTP/1.1 client for buffered pod calls: keep-alive pools, one write per request.

Every proxied call and every fan-out call is one small request and one buffered
answer. aiohttp's client spends most of a pass-through's CPU on generality that
this path never uses (cookie jars, redirects, streaming payload writers, trace
hooks, per-request URL objects and timers); at 1000 pods per list that cost is
the list's latency. This client does only what a pod call needs:

* one connection pool per pod (`HttpPool`, limit shared by all of the pod's
  endpoints like aiohttp's ``TCPConnector(limit=...)``), idle connections reused
  newest first and dropped after `keepalive` seconds idle;
* the request written in one ``transport.write`` (head and body);
* the answer parsed incrementally in ``data_received``: Content-Length, chunked
  (trailers ignored), or until EOF; no body for HEAD, 1xx, 204 and 304; interim
  1xx answers skipped;
* a connection is reused only after a complete answer that allows it
  (HTTP/1.1 without ``Connection: close``, nothing unread);
* a reused connection that the pod closed before answering is retried once on a
  new connection, for idempotent methods only (RFC 9112 §9.3.1, as aiohttp does);
* timeouts, cancellation and errors close the connection (its state is unknown).

Streaming calls (image data) keep using aiohttp (`PodClient.stream`).
"""

from __future__ import annotations

import asyncio
import functools
import re
import ssl as ssl_module
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from multidict import CIMultiDict, CIMultiDictProxy

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
MAX_HEAD = 64 * 1024       # bytes of status line + headers we accept from a pod
KEEPALIVE = 15.0           # seconds an idle connection is kept (aiohttp's default)
_NO_BODY_STATUS = frozenset({204, 304})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# characters that may not appear raw in a request target
_UNSAFE_TARGET = re.compile(r"[^\x21-\x7e]|[\"<>\\^`{|}]")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class HttpError(Exception):
    """The pod could not be reached or its answer was not valid HTTP/1.x."""


class _Stale(HttpError):
    """A reused connection closed before any byte of the answer arrived."""


class Answer:
    """A complete answer: status, headers (read-only, case-insensitive), body."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: CIMultiDictProxy[str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one exchange at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self.used = False            # has completed at least one exchange
        self._buf = bytearray()
        self._waiter: asyncio.Future[Answer] | None = None
        self._head_only = False
        self._eof = False
        self._received = False       # any byte of the current answer arrived
        self._reset()

    def _reset(self) -> None:
        self._status = 0
        self._headers: CIMultiDict[str] | None = None
        self._length: int | None = None      # remaining body bytes (Content-Length)
        self._chunked = False
        self._until_eof = False
        self._body = bytearray()
        self.reusable = False

    # ---- asyncio.Protocol -----------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._buf += data
        self._received = True
        if self._waiter is not None and not self._waiter.done():
            self._advance()

    def eof_received(self) -> bool:
        self._eof = True
        if self._waiter is not None and not self._waiter.done():
            self._advance()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._eof = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            self._advance()
            if not waiter.done():
                waiter.set_exception(self._failure(f"connection closed: {exc!r}" if exc
                                                   else "connection closed by the server"))

    # ---- one exchange ---------------------------------------------------------------
    async def exchange(self, data: bytes, head_only: bool) -> Answer:
        """Send `data` (a whole request) and return the answer."""
        assert self.transport is not None
        self._reset()
        self._received = False
        self._head_only = head_only
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        try:
            return await self._waiter
        finally:
            self._waiter = None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _advance(self) -> None:
        try:
            answer = self._parse()
        except HttpError as exc:
            self.reusable = False
            assert self._waiter is not None
            self._waiter.set_exception(self._failure(str(exc)) if self._eof else exc)
            return
        if answer is not None:
            assert self._waiter is not None
            self._waiter.set_result(answer)

    def _failure(self, message: str) -> HttpError:
        """The error for a connection that closed: stale when it was reused and
        nothing of the answer arrived (the pod closed it while idle)."""
        return _Stale(message) if self.used and not self._received else HttpError(message)

    @property
    def dirty(self) -> bool:
        """Bytes arrived while idle: nothing a pod should send unasked."""
        return bool(self._buf)

    def _parse(self) -> Answer | None:
        while self._headers is None:
            if not self._parse_head():
                return None
        if self._chunked:
            if not self._parse_chunks():
                return None
        elif self._until_eof:
            if not self._eof:
                return None
            self._body += self._buf
            self._buf.clear()
        else:
            assert self._length is not None
            if len(self._buf) < self._length:
                if self._eof:
                    raise HttpError("answer ended before its Content-Length")
                return None
            self._body += self._buf[:self._length]
            del self._buf[:self._length]
        if self._buf:   # bytes we did not ask for: do not trust this connection again
            self.reusable = False
        self.used = True
        return Answer(self._status, CIMultiDictProxy(self._headers), bytes(self._body))

    def _parse_head(self) -> bool:
        """Parse one status line + headers; False if more bytes are needed. Interim
        (1xx) answers are consumed and leave `_headers` unset."""
        end = self._buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buf) > MAX_HEAD:
                raise HttpError("answer head too large")
            if self._eof:
                raise HttpError("connection closed inside the answer head"
                                if self._buf else "connection closed without an answer")
            return False
        lines = bytes(self._buf[:end]).decode("utf-8", "surrogateescape").split("\r\n")
        del self._buf[:end + 4]
        version, _, rest = lines[0].partition(" ")
        code = rest[:3]
        if not version.startswith("HTTP/1.") or not code.isdigit():
            raise HttpError(f"not an HTTP/1.x answer: {lines[0][:80]!r}")
        status = int(code)
        headers: CIMultiDict[str] = CIMultiDict()
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise HttpError(f"malformed header line: {line[:80]!r}")
            headers.add(name, value.strip(" \t"))
        if 100 <= status < 200:
            if status == 101:
                raise HttpError("unexpected protocol switch")
            return True   # interim answer: the real one follows
        self._status, self._headers = status, headers
        self._framing(version, headers)
        return True

    def _framing(self, version: str, headers: CIMultiDict[str]) -> None:
        connection = headers.get("Connection", "").lower()
        self.reusable = version == "HTTP/1.1" and "close" not in connection
        if self._head_only or self._status in _NO_BODY_STATUS:
            self._length = 0
        elif "chunked" in headers.get("Transfer-Encoding", "").lower():
            self._chunked = True
            self._chunk_left = -1
        elif "Content-Length" in headers:
            try:
                self._length = int(headers["Content-Length"])
            except ValueError as exc:
                raise HttpError("invalid Content-Length") from exc
            if self._length < 0:
                raise HttpError("invalid Content-Length")
        else:
            self._until_eof = True
            self.reusable = False

    def _parse_chunks(self) -> bool:
        buf = self._buf
        while True:
            if self._chunk_left < 0:            # expecting a size line
                end = buf.find(b"\r\n")
                if end < 0:
                    return self._need_more()
                size_text = bytes(buf[:end]).split(b";", 1)[0].strip()
                try:
                    size = int(size_text, 16)
                except ValueError as exc:
                    raise HttpError("invalid chunk size") from exc
                del buf[:end + 2]
                if size == 0:
                    self._chunk_left = -2       # trailers follow
                else:
                    self._chunk_left = size
            if self._chunk_left == -2:
                if buf[:2] == b"\r\n":
                    del buf[:2]
                    return True
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    return self._need_more()
                del buf[:end + 4]
                return True
            if len(buf) < self._chunk_left + 2:
                return self._need_more()
            self._body += buf[:self._chunk_left]
            del buf[:self._chunk_left + 2]
            self._chunk_left = -1

    def _need_more(self) -> bool:
        if self._eof:
            raise HttpError("connection closed inside a chunked answer")
        return False


class HttpPool:
    """Keep-alive connections of one pod, at most `limit` open at once (0: no limit)."""

    def __init__(self, *, limit: int = 100, keepalive: float = KEEPALIVE,
                 ssl: ssl_module.SSLContext | bool = True) -> None:
        self._limit = limit
        self._keepalive = keepalive
        self._ssl = ssl
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._open = 0
        self._waiters: list[asyncio.Future[None]] = []
        self._closed = False

    async def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                      params: Any = None, body: bytes | None = None) -> Answer:
        """Send one request and return the whole answer. Raises HttpError (and
        OSError / TimeoutError from connecting; the caller's timeout cancels)."""
        key, target, host_header = _split(url, params)
        data = _request_bytes(method, target, host_header, headers, body)
        head_only = method == "HEAD"
        conn = await self._acquire(key)
        try:
            answer = await conn.exchange(data, head_only)
        except _Stale:
            self._release(key, conn, reuse=False)
            if method not in IDEMPOTENT:
                raise
            conn = await self._acquire(key, fresh=True)
            try:
                answer = await conn.exchange(data, head_only)
            except BaseException:
                self._release(key, conn, reuse=False)
                raise
        except BaseException:
            self._release(key, conn, reuse=False)
            raise
        self._release(key, conn, reuse=conn.reusable)
        return answer

    async def _acquire(self, key: tuple[str, str, int], fresh: bool = False) -> _Connection:
        """An idle connection to `key` (newest first), else a new one once the pool
        has room; `fresh` skips idle ones."""
        while True:
            if self._closed:
                raise HttpError("client closed")
            idle = self._idle.get(key)
            now = time.monotonic()
            while idle and not fresh:
                conn = idle.pop()
                if not conn.closed and not conn.dirty and now - conn.idle_since < self._keepalive:
                    return conn
                self._drop(conn)
            if not self._limit or self._open < self._limit or self._evict_idle():
                break
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self._wake()   # woken but cancelled: pass the slot on
                raise
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        self._open += 1
        try:
            return await self._connect(key)
        except BaseException:
            self._open -= 1
            self._wake()
            raise

    async def _connect(self, key: tuple[str, str, int]) -> _Connection:
        scheme, host, port = key
        ssl = self._ssl if scheme == "https" else None
        _transport, conn = await asyncio.get_running_loop().create_connection(
            _Connection, host, port, ssl=ssl, server_hostname=host if ssl else None)
        return conn

    def _release(self, key: tuple[str, str, int], conn: _Connection, *, reuse: bool) -> None:
        if reuse and not conn.closed and not self._closed:
            conn.idle_since = time.monotonic()
            self._idle.setdefault(key, []).append(conn)
            if self._waiters:   # someone waits for a slot: an idle one can be evicted
                self._wake()
            return
        self._drop(conn)

    def _drop(self, conn: _Connection) -> None:
        conn.close()
        self._open -= 1
        self._wake()

    def _evict_idle(self) -> bool:
        """Close one idle connection (to another host) to make room; False if none."""
        for conns in self._idle.values():
            if conns:
                self._drop(conns.pop(0))
                return True
        return False

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> None:
        self._closed = True
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
        self._idle.clear()


def _split(url: str, params: Any) -> tuple[tuple[str, str, int], str, str]:
    """((scheme, host, port), request target, Host header) of `url` plus `params`."""
    slash = url.find("/", url.find("://") + 3) if "://" in url else -1
    origin, target = (url, "/") if slash < 0 else (url[:slash], url[slash:])
    key, host_header = _origin(origin)
    target = target.partition("#")[0]   # fragments are not sent
    if _UNSAFE_TARGET.search(target):
        target = quote(target, safe="/%:@!$&'()*+,;=-._~?")
    if params:
        extra = urlencode(list(params.items()) if isinstance(params, Mapping) else params)
        target += ("&" if "?" in target else "?") + extra
    return key, target, host_header


@functools.lru_cache(maxsize=4096)
def _origin(origin: str) -> tuple[tuple[str, str, int], str]:
    """((scheme, host, port), Host header) of ``scheme://host[:port]`` (a few per pod)."""
    parts = urlsplit(origin)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise HttpError(f"unsupported URL {origin!r}")
    port = parts.port or _DEFAULT_PORTS[scheme]
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    host_header = host if parts.port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return (scheme, parts.hostname, port), host_header


def _request_bytes(method: str, target: str, host: str, headers: Mapping[str, str] | None,
                   body: bytes | None) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    seen_type = seen_accept = False
    for name, value in _items(headers):
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name:
            raise ValueError(f"invalid header {name!r}")
        lower = name.lower()
        if lower in ("host", "content-length", "transfer-encoding"):
            continue   # ours, from the request itself
        seen_type = seen_type or lower == "content-type"
        seen_accept = seen_accept or lower == "accept"
        lines.append(f"{name}: {value}")
    if not seen_accept:
        lines.append("Accept: */*")
    if body is not None:
        if not seen_type:
            lines.append("Content-Type: application/octet-stream")
        lines.append(f"Content-Length: {len(body)}")
    elif method in _BODY_METHODS:
        lines.append("Content-Length: 0")
    lines.append("\r\n")
    head = "\r\n".join(lines).encode("utf-8", "surrogateescape")
    return head + body if body else head


def _items(headers: Mapping[str, str] | None) -> Iterable[tuple[str, str]]:
    if not headers:
        return ()
    return headers.items()
