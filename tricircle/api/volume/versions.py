"""Cinder version documents: ``/volume/`` (300, public, as Cinder's root) and
``/volume/v3/`` (200, with a token, as Cinder's). The range is what every enabled
pod serves (highest minimum, lowest maximum)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tricircle.api import keys
from tricircle.api.middleware import public
from tricircle.api.volume.common import version_headers
from tricircle.proxy.versions import fmt
from tricircle.routing.translate import top_base
from tricircle.volumes.service import volume_core

_UPDATED = "2023-08-31T00:00:00Z"


async def _document(request: web.Request) -> dict[str, Any]:
    low, high = await volume_core(request.app).versions.range()
    return {"versions": [{
        "id": "v3.0", "status": "CURRENT", "version": fmt(high), "min_version": fmt(low),
        "updated": _UPDATED,
        "links": [{"rel": "describedby", "type": "text/html",
                   "href": "https://docs.openstack.org/"},
                  {"rel": "self", "href": top_base(request, "/volume/v3/")}],
        "media-types": [{"base": "application/json",
                         "type": "application/vnd.openstack.volume+json;version=3"}]}]}


async def _answer(request: web.Request, status: int) -> web.Response:
    rid = request[keys.REQUEST_ID]
    headers = {**await version_headers(request), "X-OpenStack-Request-ID": rid,
               "X-Compute-Request-ID": rid}
    return web.Response(status=status, body=json.dumps(await _document(request)).encode(),
                        content_type="application/json", headers=headers)


@public
async def root(request: web.Request) -> web.Response:
    """300: the volume API versions (v3.0 with the gateway's microversion range)."""
    return await _answer(request, 300)


async def v3(request: web.Request) -> web.Response:
    """200: the same document, as Cinder's ``/v3/`` (401 without a token)."""
    return await _answer(request, 200)
