"""/compute/v2.1/flavors...: flavors, extra specs and access lists, the same in
every pod in service.

Reads (GET) are served by the first pod in service that answers (they are
identical everywhere), links rewritten to the gateway. Writes go to the
reference pod first (its answer, status and error words are the client's:
200 create, 202 delete, 200 update/extra specs/access; 400/403/404/409 as Nova
says), then to the other pods; pods that missed the write get a `flavor_sync`
job. 503 when no pod in service answers.
"""

from __future__ import annotations

import json

from aiohttp import web

from tricircle.api import keys
from tricircle.distributed import flavors as domain
from tricircle.distributed import replicate
from tricircle.proxy.forward import Target, pod_path, request_headers
from tricircle.proxy.service import compute_core
from tricircle.resources import COMPUTE


async def write(request: web.Request) -> web.Response:
    """POST/PUT/DELETE on flavor URLs: applied in every pod in service."""
    app, path = request.app, pod_path(request, COMPUTE)
    body = await request.read()
    creating = request.method == "POST" and request.match_info.get("tail") is None
    candidates = await replicate.pods_in_service(app[keys.DB])
    outcome = await replicate.write_all(
        app[keys.PODS], candidates, request.method, path,
        headers=request_headers(request, request[keys.CTX]), body=body or None,
        body_for_others=_pin_id(body) if creating else None,
        deadline=app[keys.CONF].pods.request_timeout)
    flavor_id = _created_id(outcome.first) if creating else _flavor_id(request)
    if outcome.accepted and outcome.lagging and flavor_id:
        async with app[keys.DB].session() as s:
            await domain.enqueue_sync(s, flavor_id, outcome.first.pod.region_name,
                                      request_id=request[keys.REQUEST_ID])
    return await compute_core(app).forwarder.respond(
        request, Target(outcome.first.pod, path), outcome.first.response)


def _flavor_id(request: web.Request) -> str:
    return request.match_info.get("tail", "").split("/", 1)[0]


def _created_id(answer: replicate.Answer) -> str | None:
    try:
        return str(answer.response.json()["flavor"]["id"])
    except (ValueError, KeyError, TypeError):
        return None


def _pin_id(body: bytes) -> replicate.BodyFor:
    """The create body for the other pods: the id the reference pod chose."""

    def pinned(first: replicate.Answer) -> bytes | None:
        flavor_id = _created_id(first)
        doc = json.loads(body)
        doc["flavor"]["id"] = flavor_id
        return json.dumps(doc).encode()

    return pinned
