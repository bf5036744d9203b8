"""GET /v1.0: the admin API's version document (served without a token)."""

from __future__ import annotations

from aiohttp import web

from tricircle.api.middleware import public
from tricircle.routing.translate import top_base

RESOURCES = ("pods", "bindings", "routings", "jobs")


@public
async def version(request: web.Request) -> web.Response:
    """200: the version and the collections of the admin API."""
    base = top_base(request, "/v1.0")
    return web.json_response({
        "version": {"id": "v1.0", "status": "CURRENT",
                    "links": [{"rel": "self", "href": base}]},
        "resources": [{"name": name, "href": f"{base}/{name}"} for name in RESOURCES],
    })
