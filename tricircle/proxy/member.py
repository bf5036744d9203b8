"""Calls on one routed resource (``/<collection>/<id>[/...]``), for any surface.

The pod is the one of the resource's routing row; where the top id differs from
the pod's id (after a migration) the path carries the pod's id and the answer
the top id. A 404 from the pod may come from a stale cached row (another process
moved or deleted it): the row is then re-read once and, if it moved, the call is
sent again to its new pod.
"""

from __future__ import annotations

from aiohttp import web

from tricircle.api import keys
from tricircle.clients.pod import PodResponse
from tricircle.proxy.forward import Forwarder, Target, pod_path
from tricircle.proxy.locate import Located, Locator
from tricircle.resources.base import Resource


def bottom_path(request: web.Request, resource: Resource, located: Located) -> str:
    """The pod's path: the top id replaced by the bottom id where they differ."""
    path = pod_path(request, resource.surface)
    top, bottom = located.route.top_id, located.bottom_id
    if top == bottom:
        return path
    return path.replace(f"/{resource.collection}/{top}", f"/{resource.collection}/{bottom}", 1)


def id_map(located: Located) -> dict[str, str] | None:
    """bottom id -> top id when they differ (for the answer), else None."""
    top, bottom = located.route.top_id, located.bottom_id
    return None if top == bottom else {bottom: top}


async def send(forwarder: Forwarder, locator: Locator, request: web.Request,
               resource: Resource, located: Located, body: bytes | None
               ) -> tuple[Target, PodResponse, Located]:
    """Send the call to the resource's pod; the target, the pod's answer and the
    routing row it came from. Raises faults.PodUnavailable."""
    target = Target(located.pod, bottom_path(request, resource, located))
    resp = await forwarder.send(request, target, body=body)
    if resp.status == 404:
        fresh = await locator.refresh(resource, located.route.top_id, request[keys.CTX])
        if fresh is not None and fresh.route != located.route:
            located = fresh
            target = Target(fresh.pod, bottom_path(request, resource, fresh))
            resp = await forwarder.send(request, target, body=body)
    return target, resp, located


async def forward(forwarder: Forwarder, locator: Locator, request: web.Request,
                  resource: Resource, located: Located, body: bytes | None, *,
                  other_ids: dict[str, str] | None = None
                  ) -> tuple[web.Response, PodResponse, Located]:
    """`send`, then the gateway's answer (ids mapped back to top ids; `other_ids`:
    more bottom -> top ids to map in the answer, e.g. of related resources)."""
    target, resp, located = await send(forwarder, locator, request, resource, located, body)
    ids = {**(other_ids or {}), **(id_map(located) or {})} or None
    answer = await forwarder.respond(request, target, resp, ids=ids)
    return answer, resp, located
