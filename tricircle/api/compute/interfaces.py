"""``/servers/{id}/os-interface``: interfaces on top networks and ports, in the
server's pod (`tricircle.networking.interfaces`); answers name top ids."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tricircle import faults
from tricircle.api import keys
from tricircle.api.compute.servers import _with_version_headers
from tricircle.networking import boot, interfaces
from tricircle.proxy import member as routed
from tricircle.proxy.forward import Target
from tricircle.proxy.locate import Located
from tricircle.proxy.service import compute_core
from tricircle.resources import SERVER


async def _locate(request: web.Request) -> Located:
    return await compute_core(request.app).locator.find(
        SERVER, request.match_info["server_id"], request[keys.CTX])


async def _respond(request: web.Request, located: Located, target: Target,
                   resp: Any) -> web.Response:
    ids = {**(routed.id_map(located) or {}),
           **await interfaces.top_ids(request.app[keys.DB], located.pod, resp.body)}
    return await compute_core(request.app).forwarder.respond(request, target, resp,
                                                             ids=ids or None)


async def attach(request: web.Request) -> web.Response:
    """``POST``: 200 with the attachment (top port, network and subnet ids); a top
    network or port is first realised in the server's pod; 400 unknown network
    or port, 409 port in use (Nova's dialect); the pod's own errors."""
    core, ctx = compute_core(request.app), request[keys.CTX]
    try:
        located = await _locate(request)
        raw = await request.read()
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            doc = None  # the pod answers Nova's 400
        prepared = await interfaces.prepare_attach(request.app, ctx, located.pod, doc)
        body = json.dumps(doc).encode() if prepared is not None else raw or None
        target = Target(located.pod, routed.bottom_path(request, SERVER, located))
        try:
            resp = await core.forwarder.send(request, target, body=body)
        except faults.PodUnavailable:
            await boot.abandon(request.app, ctx, prepared)
            raise
    except faults.TricircleError as exc:
        await _with_version_headers(request, exc)
        raise
    if 200 <= resp.status < 300:
        await boot.attached(request.app, ctx, prepared, located.route.top_id)
    else:
        await boot.abandon(request.app, ctx, prepared)
    return await _respond(request, located, target, resp)


async def detach(request: web.Request) -> web.Response:
    """``DELETE .../{port_id}`` (a top port): 202 from the pod, then the bottom port
    goes and the central port is released; 404 as Nova for an unknown server."""
    core = compute_core(request.app)
    top_port = request.match_info["port_id"]
    try:
        located = await _locate(request)
        bottom = await interfaces.bottom_port(request.app[keys.DB], located.pod, top_port)
        path = routed.bottom_path(request, SERVER, located)
        if bottom is not None:
            path = path.replace(f"/os-interface/{top_port}", f"/os-interface/{bottom}", 1)
        target = Target(located.pod, path)
        resp = await core.forwarder.send(request, target)
    except faults.TricircleError as exc:
        await _with_version_headers(request, exc)
        raise
    if bottom is not None and 200 <= resp.status < 300:
        await interfaces.detached(request.app, located.pod,
                                  (located.route.top_id, located.bottom_id), top_port, bottom,
                                  located.route.project_id)
    return await _respond(request, located, target, resp)


async def read(request: web.Request) -> web.Response:
    """``GET`` the list or one (by top port id): the pod's answer with top ids."""
    core = compute_core(request.app)
    try:
        located = await _locate(request)
        path = routed.bottom_path(request, SERVER, located)
        top_port = request.match_info.get("port_id")
        bottom = top_port and await interfaces.bottom_port(request.app[keys.DB], located.pod,
                                                           top_port)
        if top_port and bottom:
            path = path.replace(f"/os-interface/{top_port}", f"/os-interface/{bottom}", 1)
        target = Target(located.pod, path)
        resp = await core.forwarder.send(request, target)
    except faults.TricircleError as exc:
        await _with_version_headers(request, exc)
        raise
    return await _respond(request, located, target, resp)
