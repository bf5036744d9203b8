"""Forward one API call to a pod and pass its answer back.

Request: method, path, query string (raw, not re-encoded), body and headers go
to the pod unchanged, microversion headers included; hop-by-hop headers are
dropped, the user's token and the gateway's request id (as the pod's global
request id) are set. Answer: the pod's status, body and headers, in the pod's
own dialect, with hop-by-hop headers and the pod's request ids replaced by the
gateway's, and only what must change rewritten: hrefs and Location (to the
gateway), AZ names (pod -> top), and the gateway's markers (hidden). Bodies are
rewritten as bytes, without a JSON round trip.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web
from multidict import CIMultiDict

from tricircle import faults
from tricircle.api import keys
from tricircle.clients.pod import HOP_HEADERS, PodClients, PodRequestError, PodResponse
from tricircle.context import RequestContext
from tricircle.pods.registry import PodInfo
from tricircle.resources.base import Surface
from tricircle.routing.translate import AzRewriter, LinkRewriter

LOG = logging.getLogger(__name__)

# Request headers the gateway sets itself instead of copying.
_OWN_REQUEST_HEADERS = frozenset({"x-auth-token", "x-openstack-request-id", "x-forwarded-for",
                                  "x-forwarded-host", "x-forwarded-proto", "forwarded"})
_ID_HEADERS = frozenset({"x-openstack-request-id", "x-compute-request-id"})


@dataclass(frozen=True, slots=True)
class Target:
    """Where a call goes: a pod, and a path relative to its endpoint of the
    surface's service type, query string included (``/servers/<id>?x=1``)."""

    pod: PodInfo
    path: str


def pod_path(request: web.Request, surface: Surface) -> str:
    """The request's raw path and query relative to the surface prefix
    (``/compute/v2.1/servers/x?a=1`` -> ``/servers/x?a=1``)."""
    raw = request.raw_path
    prefix = surface.surface_path
    return raw[len(prefix):] if raw.startswith(prefix) else raw


def request_headers(request: web.Request, ctx: RequestContext | None) -> CIMultiDict[str]:
    """The client's headers minus hop-by-hop and identity, plus the context's
    (token and request id); without a context (public version documents) only
    the request id."""
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in request.headers.items():
        lower = name.lower()
        if lower not in HOP_HEADERS and lower not in _OWN_REQUEST_HEADERS:
            headers.add(name, value)
    if ctx is not None:
        headers.update(ctx.pod_headers())
    else:
        headers["X-OpenStack-Request-ID"] = (request[keys.GLOBAL_REQUEST_ID]
                                             or request[keys.REQUEST_ID])
    return headers


def answer_headers(resp: PodResponse, links: LinkRewriter) -> CIMultiDict[str]:
    """A pod's (or central Neutron's) answer headers for the client: without
    hop-by-hop and request-id headers (the caller sets its own), Location
    pointing at the gateway."""
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in resp.headers.items():
        lower = name.lower()
        if lower in HOP_HEADERS or lower in _ID_HEADERS:
            continue
        headers.add(name, links.rewrite_url(value) if lower == "location" else value)
    return headers


class Forwarder:
    """Sends calls to pods for one surface and builds the gateway's answers."""

    def __init__(self, pods: PodClients, surface: Surface, *,
                 public_url: str | None = None) -> None:
        self._pods = pods
        self.surface = surface
        # ``[api] public_url`` read once: oslo.config lookups are slow on the hot path
        self._public = public_url.rstrip("/") + surface.surface_path if public_url else None
        # Rewriters compile regexes: keep one per (pod, gateway base), a few dozen.
        self._links: dict[tuple[str, str], LinkRewriter] = {}
        self._azs: dict[tuple[str, str], AzRewriter] = {}

    async def send(self, request: web.Request, target: Target, *,
                   body: bytes | None = None,
                   headers: Mapping[str, str] | None = None) -> PodResponse:
        """Forward the call; raises faults.PodUnavailable when the pod cannot be reached."""
        ctx: RequestContext = request[keys.CTX]
        region = target.pod.region_name
        LOG.debug("%s %s -> %s [%s]", request.method, target.path, region, ctx.request_id)
        try:
            client = await self._pods.get(region)
            return await client.request(
                self.surface.service_type, request.method, target.path,
                headers=headers if headers is not None else request_headers(request, ctx),
                body=body)
        except PodRequestError as exc:
            LOG.warning("%s %s -> %s [%s] failed: %s", request.method, target.path, region,
                        ctx.request_id, exc)
            raise faults.PodUnavailable(pod=region) from exc

    async def respond(self, request: web.Request, target: Target, resp: PodResponse, *,
                      ids: dict[str, str] | None = None) -> web.Response:
        """The gateway's answer built from the pod's; `ids` maps bottom ids that
        differ from their top ids (after a migration) in hrefs and the body."""
        links = await self.link_rewriter(request, target.pod)
        if ids:
            links = LinkRewriter(links.pod_root, links.top_root, ids=ids)
        azs = self.az_rewriter(target.pod)
        headers = answer_headers(resp, links)
        body = resp.body
        if body and "json" in resp.headers.get("Content-Type", ""):
            body = self.rewrite_body(body, links, azs)
        self._request_ids(request, resp, headers)
        return web.Response(status=resp.status, body=body, headers=headers)

    def _request_ids(self, request: web.Request, resp: PodResponse,
                     headers: CIMultiDict[str]) -> None:
        """The gateway's request id, except the service-specific one
        (``X-Compute-Request-ID``) of an answer the pod made: that is the id the
        pod recorded the call under (``os-instance-actions/<id>`` finds it, as
        tempest checks). The pod logs the gateway's id as its global request id."""
        ours = request[keys.REQUEST_ID]
        pods = resp.headers.get("X-Compute-Request-ID") or resp.headers.get(
            "X-OpenStack-Request-ID")
        for name in self.surface.request_id_headers:
            keep_pods = pods and name.lower() != "x-openstack-request-id"
            headers[name] = pods if keep_pods else ours  # type: ignore[assignment]
        if pods:
            LOG.debug("[%s] is %s in %s", ours, pods, self.surface.name)

    def rewrite_body(self, body: bytes, links: LinkRewriter, azs: AzRewriter) -> bytes:
        body = links.rewrite_bytes(body)
        body = azs.rewrite_bytes(body)
        for marker in self.surface.markers:
            body = marker.strip(body)
        return body

    async def link_rewriter(self, request: web.Request, pod: PodInfo) -> LinkRewriter:
        client = await self._pods.get(pod.region_name)
        key = (client.url(self.surface.service_type, ""), self.top_base(request))
        rewriter = self._links.get(key)
        if rewriter is None:
            if len(self._links) > 1024:  # many Host headers: do not grow without bound
                self._links.clear()
            rewriter = self._links[key] = LinkRewriter(*key)
        return rewriter

    def top_base(self, request: web.Request) -> str:
        """The gateway's base URL of the surface as the client sees it."""
        if self._public is not None:
            return self._public
        return f"{request.scheme}://{request.host}{self.surface.surface_path}"

    def az_rewriter(self, pod: PodInfo) -> AzRewriter:
        key = (pod.pod_az_name, pod.az_name)
        rewriter = self._azs.get(key)
        if rewriter is None:
            rewriter = self._azs[key] = AzRewriter(*key, self.surface.az_fields)
        return rewriter

    async def forward(self, request: web.Request, target: Target, *,
                      body: bytes | None = None) -> web.Response:
        """Send and respond in one step (the common case)."""
        resp = await self.send(request, target, body=body)
        LOG.debug("%s %s <- %s %d [%s]", request.method, target.path, target.pod.region_name,
                  resp.status, request[keys.REQUEST_ID])
        return await self.respond(request, target, resp)

    async def forward_to_all(self, request: web.Request, targets: list[Target], *,
                             body: bytes | None = None) -> web.Response:
        """Send the same call to several pods at once (changes that must hold in
        every pod). The answer: the first refusal in `targets` order, else the
        first pod's. Unreachable pods are skipped with a warning; none reachable
        raises faults.ServiceUnavailable."""
        results = await asyncio.gather(*(self.send(request, t, body=body) for t in targets),
                                       return_exceptions=True)
        answered: list[tuple[Target, PodResponse]] = []
        for target, result in zip(targets, results, strict=True):
            if isinstance(result, PodResponse):
                answered.append((target, result))
            elif isinstance(result, faults.TricircleError):
                LOG.warning("%s %s not applied in %s: %s", request.method, target.path,
                            target.pod.region_name, result)
            else:
                raise result
        if not answered:
            raise faults.ServiceUnavailable("No pod could be reached.")
        refused = [(t, r) for t, r in answered if not 200 <= r.status < 300]
        target, resp = (refused or answered)[0]
        return await self.respond(request, target, resp)
