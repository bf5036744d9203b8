"""The reference: a bare aiohttp + uvloop pass-through to one upstream (~20 lines).

python -m bench.bare_proxy PORT UPSTREAM_BASE_URL
"""
import sys

import aiohttp
import uvloop
from aiohttp import web

HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length",
       "content-encoding", "upgrade", "te", "trailers", "proxy-authorization"}


async def forward(request: web.Request) -> web.Response:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
    async with request.app["session"].request(
            request.method, UPSTREAM + request.path_qs, headers=headers,
            data=await request.read()) as resp:
        body = await resp.read()
        out = {k: v for k, v in resp.headers.items() if k.lower() not in HOP}
        return web.Response(status=resp.status, body=body, headers=out)


async def session_ctx(app: web.Application):
    app["session"] = aiohttp.ClientSession(auto_decompress=False)
    yield
    await app["session"].close()


if __name__ == "__main__":
    PORT, UPSTREAM = int(sys.argv[1]), sys.argv[2].rstrip("/")
    app = web.Application()
    app.cleanup_ctx.append(session_ctx)
    app.router.add_route("*", "/{tail:.*}", forward)
    uvloop.install()
    web.run_app(app, host="127.0.0.1", port=PORT, access_log=None, print=None)
