"""Forwarding of the network API to central Neutron, and its answers back.

Request: method, raw path and query, body and headers as the client sent them
(minus hop-by-hop), with the user's token and the gateway's request id. Answer:
central Neutron's status, headers and body; its request id replaced by the
gateway's; hrefs (``*_links`` next/previous, version documents) rewritten from
central Neutron's root to the gateway's ``/network``.
"""

from __future__ import annotations

import logging

from aiohttp import web
from multidict import CIMultiDict

from tricircle.api import keys
from tricircle.clients.pod import PodResponse
from tricircle.networking.central import CentralNeutron
from tricircle.proxy.forward import answer_headers, request_headers
from tricircle.resources.network import NETWORK_SURFACE
from tricircle.routing.translate import rewriter_for, top_base

LOG = logging.getLogger(__name__)


def central_path(request: web.Request) -> str:
    """``/network/v2.0/networks?x=1`` -> ``/v2.0/networks?x=1``; the root -> ``/``."""
    raw = request.raw_path
    prefix = NETWORK_SURFACE.surface_path
    rest = raw[len(prefix):] if raw.startswith(prefix) else raw
    return rest if rest.startswith("/") else "/" + rest


def _headers(request: web.Request) -> CIMultiDict[str]:
    return request_headers(request, request.get(keys.CTX))


async def forward(request: web.Request, central: CentralNeutron, *,
                  body: bytes | None = None) -> web.Response:
    """Central Neutron's answer to the request (`body`: instead of the client's),
    translated for the gateway. Raises CentralNotConfigured / CentralUnavailable (503)."""
    path = central_path(request)
    if body is None:
        body = await request.read() if request.can_read_body else None
    resp = await central.request(request.method, path, headers=_headers(request),
                                 body=body or None)
    LOG.debug("%s %s <- central %d [%s]", request.method, path, resp.status,
              request[keys.REQUEST_ID])
    return respond(request, central, resp)


def respond(request: web.Request, central: CentralNeutron, resp: PodResponse) -> web.Response:
    """The gateway's answer built from central Neutron's."""
    links = rewriter_for(central.url, top_base(request, NETWORK_SURFACE.surface_path))
    headers = answer_headers(resp, links)
    body = resp.body
    if body and "json" in resp.headers.get("Content-Type", ""):
        body = links.rewrite_bytes(body)
    headers["X-OpenStack-Request-ID"] = request[keys.REQUEST_ID]
    return web.Response(status=resp.status, body=body, headers=headers)
