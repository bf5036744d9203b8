"""/compute/v2.1/os-keypairs...: the caller's keypairs, present in every pod in service.

GET: answered by one pod in service (200, 404 as Nova). POST (create or import)
and DELETE: applied in the reference pod first, whose answer is the client's
(200/201 with the private key of a generated pair, returned once; 202/204 delete;
400/403/404/409 in Nova's words), then in the others — a generated pair's public
key is *imported* there, so every pod holds the same key. Pods that missed the
write get a `keypair_sync` job. 503 when no pod in service answers.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tricircle.api import keys
from tricircle.distributed import keypairs as domain
from tricircle.distributed import replicate
from tricircle.proxy.forward import Target, pod_path, request_headers
from tricircle.proxy.service import compute_core
from tricircle.resources import COMPUTE


async def write(request: web.Request) -> web.Response:
    """POST /os-keypairs, DELETE /os-keypairs/{name}: applied in every pod in service."""
    app, path, ctx = request.app, pod_path(request, COMPUTE), request[keys.CTX]
    body = await request.read()
    requested = _member(body)
    candidates = await replicate.pods_in_service(app[keys.DB])
    outcome = await replicate.write_all(
        app[keys.PODS], candidates, request.method, path,
        headers=request_headers(request, ctx), body=body or None,
        body_for_others=_with_public_key(requested) if request.method == "POST" else None,
        deadline=app[keys.CONF].pods.request_timeout)
    name = requested.get("name") or request.match_info.get("name", "")
    user_id = requested.get("user_id") or request.query.get("user_id") or ctx.user_id
    if outcome.accepted and outcome.lagging and name and user_id:
        async with app[keys.DB].session() as s:
            await domain.enqueue_sync(s, str(user_id), str(name), outcome.first.pod.region_name,
                                      project_id=ctx.project_id or "",
                                      request_id=request[keys.REQUEST_ID])
    return await compute_core(app).forwarder.respond(
        request, Target(outcome.first.pod, path), outcome.first.response)


def _member(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body) if body else {}
        member = doc.get("keypair") if isinstance(doc, dict) else None
    except (ValueError, UnicodeDecodeError):
        return {}
    return member if isinstance(member, dict) else {}


def _with_public_key(requested: dict[str, Any]) -> replicate.BodyFor:
    """The others' body: the request as is, plus the public key the reference
    pod generated when the client gave none (never the private key)."""

    def body(first: replicate.Answer) -> bytes | None:
        made = (first.response.json() or {}).get("keypair", {})
        member = dict(requested)
        # the client's own `type` (if any) stays: the same key type everywhere
        member.setdefault("public_key", made.get("public_key"))
        return json.dumps({"keypair": member}).encode()

    return body
