"""What every volume handler shares: Cinder's version headers on the gateway's own
faults, and the URL form the client used (with or without the project id)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from aiohttp import web

from tricircle import faults
from tricircle.proxy import microversion
from tricircle.proxy.versions import fmt
from tricircle.volumes.service import volume_core

SURFACE_PATH = "/volume/v3"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def version_headers(request: web.Request) -> dict[str, str]:
    """``OpenStack-API-Version: volume X`` + Vary for an answer the gateway makes."""
    _low, high = await volume_core(request.app).versions.range()
    return microversion.response_headers(request.headers, fmt(high), "volume")


def cinder_answer(handler: Handler) -> Handler:
    """Cinder puts its version headers on its JSON faults: so does the gateway."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except faults.TricircleError as exc:
            exc.headers.update(await version_headers(request))
            raise

    return wrapped


def path_prefix(request: web.Request) -> str:
    """"/<project_id>" when the URL carries it (``/volume/v3/<project_id>/...``), else ""."""
    project = request.match_info.get("project_id")
    return f"/{project}" if project else ""
