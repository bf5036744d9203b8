"""Compute version documents: ``/compute/`` and ``/compute/v2.1/`` (with or without
the slash), served without a token like Nova's.

The advertised range is what every enabled pod serves (highest minimum, lowest
maximum), so a client that negotiates against the gateway gets a microversion
any pod accepts.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tricircle.api import keys
from tricircle.api.middleware import public
from tricircle.proxy import microversion
from tricircle.proxy.service import compute_core
from tricircle.proxy.versions import fmt
from tricircle.routing.translate import top_base

_UPDATED = "2013-07-23T11:33:21Z"
_MEDIA_TYPES = [{"base": "application/json",
                 "type": "application/vnd.openstack.compute+json;version=2.1"}]


async def _v21(request: web.Request) -> dict[str, Any]:
    low, high = await compute_core(request.app).versions.compute()
    return {"id": "v2.1", "status": "CURRENT", "version": fmt(high), "min_version": fmt(low),
            "updated": _UPDATED,
            "links": [{"rel": "self", "href": top_base(request, "/compute/v2.1/")}]}


@public
async def root(request: web.Request) -> web.Response:
    """200: the compute API versions (only v2.1: the gateway does not serve v2.0)."""
    return web.json_response({"versions": [await _v21(request)]})


@public
async def v21(request: web.Request) -> web.Response:
    """200: the v2.1 version document with the gateway's microversion range."""
    doc = await _v21(request)
    doc["links"].append({"rel": "describedby", "type": "text/html",
                         "href": "http://docs.openstack.org/"})
    doc["media-types"] = _MEDIA_TYPES
    headers = microversion.response_headers(request.headers, doc["version"])
    headers["X-Compute-Request-ID"] = request[keys.REQUEST_ID]
    return web.json_response({"version": doc}, headers=headers)
