"""/compute/v2.1/os-availability-zone[/detail]: the TOP availability zones.

A top AZ is the `az_name` of one or more pods (the pod registry); it is
available while at least one of its pods is enabled and not found unhealthy.
Pods' own zone names never show. `/detail` (admin, as in Nova) adds, per top AZ,
the hosts of its pods with their services as the pods report them, host names
qualified as "<region>/<host>" where two pods use the same name; the "internal"
zone gathers the control services of every pod. 200; 401; 403 (a pod's policy).
"""

from __future__ import annotations

from aiohttp import web

from tricircle.api import keys
from tricircle.fanout import zones
from tricircle.proxy import microversion, versions
from tricircle.proxy.forward import request_headers
from tricircle.proxy.service import compute_core


async def index(request: web.Request) -> web.Response:
    """GET /os-availability-zone: 200 {"availabilityZoneInfo": [...top AZs...]}."""
    info = await zones.summary(request.app[keys.DB])
    return await _json(request, {"availabilityZoneInfo": info})


async def detail(request: web.Request) -> web.Response:
    """GET /os-availability-zone/detail: top AZs with the hosts of their pods."""
    app = request.app
    result = await zones.detail(app[keys.DB], app[keys.PODS],
                                request_headers(request, request[keys.CTX]),
                                deadline=app[keys.CONF].fanout.pod_deadline)
    if result.refused is not None:
        return web.Response(status=result.refused.status, body=result.refused.body,
                            content_type="application/json",
                            headers=_ids(request))
    return await _json(request, {"availabilityZoneInfo": result.zones})


def _ids(request: web.Request) -> dict[str, str]:
    rid = request[keys.REQUEST_ID]
    return {"X-OpenStack-Request-ID": rid, "X-Compute-Request-ID": rid}


async def _json(request: web.Request, body: object) -> web.Response:
    """An answer the gateway makes itself, with Nova's version headers."""
    newest = (await compute_core(request.app).versions.compute())[1]
    headers = microversion.response_headers(request.headers, versions.fmt(newest))
    return web.json_response(body, headers={**headers, **_ids(request)})
