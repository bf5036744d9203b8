"""Compute version documents: ``/compute/`` and ``/compute/v2.1/`` (with or without
the slash), served without a token like Nova's.

The advertised range is what every enabled pod serves (highest minimum, lowest
maximum), so a client that negotiates against the gateway gets a microversion
any pod accepts.
"""

from __future__ import annotations

import json
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


def _v20(request: web.Request) -> dict[str, Any]:
    # Listed first and DEPRECATED as Nova does (clients and tempest expect it);
    # only its version document is served, not the legacy v2 API itself.
    return {"id": "v2.0", "status": "DEPRECATED", "version": "", "min_version": "",
            "updated": "2025-07-04T12:00:00Z",
            "links": [{"rel": "self", "href": top_base(request, "/compute/v2/")}]}


@public
async def root(request: web.Request) -> web.Response:
    """200: the compute API versions, as Nova lists them (v2.0, then v2.1)."""
    return _json({"versions": [_v20(request), await _v21(request)]})


@public
async def v20(request: web.Request) -> web.Response:
    """200: the (deprecated) v2.0 version document."""
    doc = _v20(request)
    doc["links"].append({"rel": "describedby", "type": "text/html",
                         "href": "http://docs.openstack.org/"})
    doc["media-types"] = [{"base": "application/json",
                           "type": "application/vnd.openstack.compute+json;version=2"}]
    return _json({"version": doc})


@public
async def v21(request: web.Request) -> web.Response:
    """200: the v2.1 version document with the gateway's microversion range."""
    doc = await _v21(request)
    doc["links"].append({"rel": "describedby", "type": "text/html",
                         "href": "http://docs.openstack.org/"})
    doc["media-types"] = _MEDIA_TYPES
    headers = microversion.response_headers(request.headers, doc["version"])
    headers["X-Compute-Request-ID"] = request[keys.REQUEST_ID]
    return _json({"version": doc}, headers)


def _json(doc: dict[str, Any], headers: dict[str, str] | None = None) -> web.Response:
    # Nova sends "application/json" without a charset
    return web.Response(body=json.dumps(doc).encode(), content_type="application/json",
                        headers=headers)
