"""GET /compute/v2.1/servers and /servers/detail: one list over every pod.

Status codes: 200 (also when a pod is down: its servers are skipped, or shown as
UNKNOWN from 2.69; `X-Tricircle-Missing-Pods` names the pods left out), 400 (bad
marker; bad limit or sort parameters, worded by a pod), 401, 403 (a pod's policy,
e.g. all_tenants), 503 (a pod down and `[fanout] down_pod_policy = fail`).
"""

from __future__ import annotations

from aiohttp import web
from multidict import CIMultiDict

from tricircle import jsonbody
from tricircle.api import keys
from tricircle.clients.pod import HOP_HEADERS, PodResponse
from tricircle.fanout.routed import RoutedServerSource
from tricircle.fanout.servers import VERSION_HEADERS, ListRequest, ListResult, ServerLister
from tricircle.proxy.service import compute_core
from tricircle.routing.translate import top_base

SURFACE_PATH = "/compute/v2.1"
SERVICE_NAME = "server-lister"
MISSING_HEADER = "X-Tricircle-Missing-Pods"
_POD_ID_HEADERS = frozenset({"x-openstack-request-id", "x-compute-request-id"})


async def servers_index(request: web.Request) -> web.Response:
    """GET /servers: id, name, links of the caller's servers in every pod."""
    return await _list(request, detail=False)


async def servers_detail(request: web.Request) -> web.Response:
    """GET /servers/detail: full server records from every pod, merged."""
    return await _list(request, detail=True)


def _lister(app: web.Application) -> ServerLister:
    """The app's ServerLister (built once: it caches link rewriters)."""
    lister = app[keys.SERVICES].get(SERVICE_NAME)
    if lister is None:
        source = RoutedServerSource(app[keys.DB], compute_core(app).locator.pods)
        lister = app[keys.SERVICES][SERVICE_NAME] = ServerLister(app[keys.PODS], source)
    return lister  # type: ignore[no-any-return]


async def _list(request: web.Request, *, detail: bool) -> web.Response:
    app = request.app
    fanout = app[keys.CONF].fanout
    lister = _lister(app)
    headers = CIMultiDict({h: request.headers[h] for h in VERSION_HEADERS
                           if h in request.headers})
    result = await lister.list_page(ListRequest(
        ctx=request[keys.CTX], query=request.query, headers=headers, detail=detail,
        top_base=top_base(request, SURFACE_PATH), deadline=fanout.pod_deadline,
        concurrency=fanout.max_concurrency, down_pod_policy=fanout.down_pod_policy))
    return _respond(request, result)


def pod_answer(request: web.Request, pod: PodResponse) -> web.Response:
    """A pod's own answer (an error in its words), with the gateway's request ids."""
    headers = {k: v for k, v in pod.headers.items()
               if k.lower() not in HOP_HEADERS and k.lower() not in _POD_ID_HEADERS}
    return web.Response(status=pod.status, body=pod.body, headers={**headers, **_rid(request)})


def _rid(request: web.Request) -> dict[str, str]:
    rid = request[keys.REQUEST_ID]
    return {"X-OpenStack-Request-ID": rid, "X-Compute-Request-ID": rid}


def _respond(request: web.Request, result: ListResult) -> web.Response:
    rid = _rid(request)
    if result.passthrough is not None:
        return pod_answer(request, result.passthrough)
    response = web.Response(body=jsonbody.dumps(result.body), content_type="application/json",
                            charset="utf-8", headers={**result.headers, **rid})
    if result.missing:
        response.headers[MISSING_HEADER] = ", ".join(result.missing)
    return response
