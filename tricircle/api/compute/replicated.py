"""Reads of the compute definitions present in every pod in service (flavors,
keypairs): any one of those pods answers, and its answer is rewritten like a
routed one."""

from __future__ import annotations

from aiohttp import web

from tricircle.api import keys
from tricircle.distributed import replicate
from tricircle.proxy.forward import Target, pod_path, request_headers
from tricircle.proxy.service import compute_core
from tricircle.resources import COMPUTE


async def read(request: web.Request) -> web.Response:
    """GET any flavor or keypair URL: answered by one pod in service."""
    app, path = request.app, pod_path(request, COMPUTE)
    candidates = await replicate.pods_in_service(app[keys.DB])
    answer = await replicate.read_any(app[keys.PODS], candidates, path,
                                      headers=request_headers(request, request[keys.CTX]))
    return await compute_core(app).forwarder.respond(request, Target(answer.pod, path),
                                                     answer.response)
