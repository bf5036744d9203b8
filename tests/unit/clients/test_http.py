"""The lean pod HTTP client against scripted raw servers: framing, keep-alive,
stale connections, limits, errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from tricircle.clients.http import HttpError, HttpPool

Script = Callable[[bytes, int], bytes | None]   # (request head+body, n-th on conn) -> answer


class RawServer:
    """Answers each request on a connection with `script(request, n)`; None closes
    the connection without answering, so does an answer saying Connection: close.
    Records requests and connections."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[bytes] = []
        self.connections = 0
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        n = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                request = head + (await reader.readexactly(length) if length else b"")
                self.requests.append(request)
                answer = self.script(request, n)
                n += 1
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if b"\r\nConnection: close\r\n" in answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    async def close(self) -> None:
        for writer in self.writers:
            writer.close()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


def ok(body: bytes = b'{"ok": true}', extra: bytes = b"") -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + extra +
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Script], asyncio.Future[tuple[str, RawServer]]]]:
    servers: list[RawServer] = []

    async def start(script: Script) -> tuple[str, RawServer]:
        server = RawServer(script)
        servers.append(server)
        return await server.start(), server

    yield start  # type: ignore[misc]
    for server in servers:
        await server.close()


async def test_content_length_answer_and_keep_alive(serve):
    base, server = await serve(lambda req, n: ok(b'{"n": %d}' % n))
    pool = HttpPool()
    first = await pool.request("GET", base + "/servers/x", headers={"X-Auth-Token": "t"})
    second = await pool.request("GET", base + "/servers/y")
    assert (first.status, first.body, second.body) == (200, b'{"n": 0}', b'{"n": 1}')
    assert first.headers["content-type"] == "application/json"
    assert server.connections == 1
    head = server.requests[0].decode()
    assert head.startswith("GET /servers/x HTTP/1.1\r\n")
    assert "X-Auth-Token: t\r\n" in head and "Host: 127.0.0.1:" in head
    pool.close()


async def test_chunked_answer_with_extensions_and_trailers(serve):
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n")
    base, server = await serve(lambda req, n: chunked)
    pool = HttpPool()
    assert (await pool.request("GET", base + "/")).body == b"hello world"
    assert (await pool.request("GET", base + "/")).body == b"hello world"
    assert server.connections == 1
    pool.close()


async def test_answer_until_close_is_read_whole_and_not_reused(serve):
    base, server = await serve(
        lambda req, n: b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it")
    pool = HttpPool()
    assert (await pool.request("GET", base + "/")).body == b"all of it"
    assert (await pool.request("GET", base + "/")).body == b"all of it"
    assert server.connections == 2
    pool.close()


async def test_no_body_for_head_204_and_304_and_interim_answers_skipped(serve):
    answers = [b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
               b"HTTP/1.1 204 No Content\r\n\r\n",
               b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"x")]
    base, server = await serve(lambda req, n: answers[n])
    pool = HttpPool()
    head = await pool.request("HEAD", base + "/")
    assert (head.status, head.body, head.headers["Content-Length"]) == (200, b"", "10")
    assert (await pool.request("DELETE", base + "/")).status == 204
    assert (await pool.request("POST", base + "/", body=b"{}")).body == b"x"
    assert server.connections == 1
    pool.close()


async def test_connection_close_answer_is_not_reused(serve):
    base, server = await serve(lambda req, n: ok(extra=b"Connection: close\r\n"))
    pool = HttpPool()
    await pool.request("GET", base + "/")
    await pool.request("GET", base + "/")
    assert server.connections == 2
    pool.close()


async def test_request_body_params_and_default_headers(serve):
    base, server = await serve(lambda req, n: ok())
    pool = HttpPool()
    await pool.request("POST", base + "/servers?a=1", params=[("limit", "4"), ("name", "a b")],
                       body=b'{"x": 1}', headers={"Content-Type": "application/json"})
    await pool.request("PUT", base + "/x")
    post, put = (r.decode() for r in server.requests)
    assert post.startswith("POST /servers?a=1&limit=4&name=a+b HTTP/1.1\r\n")
    assert "Content-Length: 8\r\n" in post and post.endswith('{"x": 1}')
    assert post.count("Content-Type") == 1 and "Accept: */*" in post
    assert "Content-Length: 0\r\n" in put
    pool.close()


async def test_unsafe_characters_in_the_path_are_quoted(serve):
    base, server = await serve(lambda req, n: ok())
    pool = HttpPool()
    await pool.request("GET", base + "/images/a b/ü?q=x y")
    assert server.requests[0].startswith(b"GET /images/a%20b/%C3%BC?q=x%20y HTTP/1.1\r\n")
    pool.close()


async def test_header_injection_is_refused(serve):
    base, server = await serve(lambda req, n: ok())
    pool = HttpPool()
    with pytest.raises(ValueError):
        await pool.request("GET", base + "/", headers={"X-A": "b\r\nX-Evil: 1"})
    assert server.requests == []
    pool.close()


async def test_idempotent_call_retried_once_when_the_pod_closed_an_idle_connection(serve):
    base, server = await serve(lambda req, n: ok() if n == 0 else None)
    pool = HttpPool()
    await pool.request("GET", base + "/")
    assert (await pool.request("GET", base + "/")).status == 200   # 2nd conn, 1st answer
    assert server.connections == 2
    pool.close()


async def test_post_on_a_connection_closed_while_idle_is_not_retried(serve):
    base, server = await serve(lambda req, n: ok() if n == 0 else None)
    pool = HttpPool()
    await pool.request("GET", base + "/")
    with pytest.raises(HttpError):
        await pool.request("POST", base + "/", body=b"{}")
    assert server.connections == 1
    pool.close()


async def test_truncated_and_garbage_answers_raise(serve):
    answers = [b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 10\r\n\r\nabc",
               b"SSH-2.0-OpenSSH\r\n\r\n"]
    base, server = await serve(lambda req, n: answers.pop(0) if n == 0 else None)
    pool = HttpPool()
    with pytest.raises(HttpError, match="Content-Length"):
        await pool.request("GET", base + "/")
    with pytest.raises(HttpError, match="not an HTTP"):
        await pool.request("GET", base + "/")
    pool.close()


async def test_refused_connection_raises_oserror():
    pool = HttpPool()
    with pytest.raises(OSError):
        await pool.request("GET", "http://127.0.0.1:9/")
    pool.close()


async def test_timeout_closes_the_connection_and_frees_its_slot(serve):
    base, _server = await serve(lambda req, n: ok())
    pool = HttpPool(limit=1)
    # a pod that never answers: the read times out, the one slot comes back
    hang = asyncio.get_running_loop().create_future()

    async def never(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await hang
    silent = await asyncio.start_server(never, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await pool.request("GET", f"http://127.0.0.1:{port}/")
    assert (await pool.request("GET", base + "/")).status == 200
    hang.set_result(None)
    silent.close()
    pool.close()


async def test_limit_bounds_open_connections(serve):
    base, server = await serve(lambda req, n: ok())
    pool = HttpPool(limit=2)
    results = await asyncio.gather(*(pool.request("GET", base + f"/{i}") for i in range(10)))
    assert [r.status for r in results] == [200] * 10
    assert server.connections <= 2
    pool.close()


async def test_closed_pool_refuses_calls(serve):
    base, _server = await serve(lambda req, n: ok())
    pool = HttpPool()
    pool.close()
    with pytest.raises(HttpError):
        await pool.request("GET", base + "/")
