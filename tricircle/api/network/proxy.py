"""``/network``: every Neutron v2.0 call, answered by central Neutron.

Handlers are thin: the forwarding lives in `tricircle.networking.proxy`.
"""

from __future__ import annotations

from aiohttp import web

from tricircle.api import keys
from tricircle.api.middleware import public
from tricircle.networking import azhints, cleanup, l3hooks, proxy, release, sync
from tricircle.networking.central import central


@public
async def versions(request: web.Request) -> web.Response:
    """``GET /network``, ``/network/``: Neutron's unauthenticated version list (200),
    hrefs pointing at the gateway; 503 NeutronError when central Neutron is not
    configured or cannot be reached."""
    return await proxy.forward(request, central(request.app))


async def forward(request: web.Request) -> web.Response:
    """Any call under ``/network/``: central Neutron's status, headers and body
    (its own NeutronError bodies), hrefs rewritten; 503 as for `versions`. A
    network deleted here is then removed from the pods, updates reach the
    pods' copies, and router / floating IP changes are realised in the pods
    (jobs). A network or subnet delete refused (409) because of a deleted
    server's ports awaiting release is retried once after releasing them."""
    path, project = proxy.central_path(request), request[keys.CTX].project_id or ""
    raw = await request.read() if request.can_read_body else b""
    hinted = await azhints.request_body(request.app[keys.DB], request.method, path, raw)
    sent = raw if hinted is None else hinted[0]
    response = await proxy.forward(request, central(request.app), body=sent)
    if await release.release_now(request.app, request.method, path, response.status):
        response = await proxy.forward(request, central(request.app), body=sent)
    if isinstance(response.body, bytes):
        response.body = azhints.answer_body(path, response.body)
        if hinted is not None and response.status == 201:
            response.body = await azhints.tag_created(
                central(request.app), await request.app[keys.SERVICE_AUTH].token(),
                response.body, hinted[1])
    await cleanup.after_answer(request.app, request.method, path, response.status, project)
    body = response.body if isinstance(response.body, bytes) else b""
    await sync.after_answer(request.app, request.method, path, response.status, body, project)
    await l3hooks.after_answer(request.app, request.method, path, response.status, body, project)
    return response
