"""Admin listings over every pod in service (tricircle.fanout.admin, docs/lists.md).

GET /os-hypervisors[/detail|/statistics|/{id}[/uptime]|/{name}/search|/{name}/servers],
GET /os-services, GET /os-aggregates[/{id}], GET /os-hosts[/{host}[/{action}]] (and PUT),
GET /os-simple-tenant-usage[/{tenant}];
changes to one service or aggregate by its top id (PUT/DELETE, aggregate actions,
legacy PUT /os-services/disable|enable|... by a body host) go to the pod that
holds it, with the item shown as in the listings.
Host-like names read "<name>@<region>" while several pods are in service; integer
ids are pod-encoded (bottom * 1000 + slot). Status codes: 200; 401; 403/404/400
as the pods answer (their admin policy, unknown id); 503 when the pod that holds
a requested id is down. Pods down in a listing are left out and named in
`X-Tricircle-Missing-Pods`. Cross-pod paging of these listings is not offered:
`limit`/`marker` reach every pod as given.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from tricircle import faults
from tricircle.api import keys
from tricircle.api.compute.lists import MISSING_HEADER, pod_answer
from tricircle.clients.pod import PodResponse
from tricircle.fanout import admin, names
from tricircle.pods.registry import PodInfo
from tricircle.proxy.forward import Target, request_headers
from tricircle.proxy.service import compute_core


def _lister(request: web.Request) -> admin.AdminLister:
    app = request.app
    return admin.AdminLister(app[keys.DB], app[keys.PODS],
                             deadline=app[keys.CONF].fanout.pod_deadline)


def _headers(request: web.Request) -> dict[str, str]:
    return dict(request_headers(request, request[keys.CTX]))


def _respond(request: web.Request, result: admin.Result) -> web.Response:
    if result.passthrough is not None:
        return pod_answer(request, result.passthrough)
    response = web.json_response(result.body, headers={**result.headers, **_rid(request)})
    if result.missing:
        response.headers[MISSING_HEADER] = ", ".join(result.missing)
    return response


def _rid(request: web.Request) -> dict[str, str]:
    rid = request[keys.REQUEST_ID]
    return {"X-OpenStack-Request-ID": rid, "X-Compute-Request-ID": rid}


async def _query_for_pod(request: web.Request, lister: admin.AdminLister, param: str
                         ) -> tuple[str | None, str]:
    """(region or None, query string) with a qualified `param` value made bare."""
    query = list(request.query.items())
    region = None
    for i, (key, value) in enumerate(query):
        if key == param:
            region, bare = names.split(value, await lister.regions())
            query[i] = (key, bare)
    return region, ("?" + urlencode(query)) if query else ""


# ---- hypervisors ---------------------------------------------------------------------
async def hypervisors(request: web.Request) -> web.Response:
    """GET /os-hypervisors and /os-hypervisors/detail."""
    lister = _lister(request)
    region, query = await _query_for_pod(request, lister, "hypervisor_hostname_pattern")
    tail = "/detail" if request.path.endswith("/detail") else ""
    gathered = await lister.gather(f"/os-hypervisors{tail}{query}", _headers(request),
                                   only=region)
    return _respond(request, admin.collect(gathered, "hypervisors", admin.hypervisor))


async def hypervisor_statistics(request: web.Request) -> web.Response:
    """GET /os-hypervisors/statistics: counters summed over the pods."""
    gathered = await _lister(request).gather("/os-hypervisors/statistics", _headers(request))
    return _respond(request, admin.statistics(gathered))


async def hypervisor_search(request: web.Request) -> web.Response:
    """GET /os-hypervisors/{name}/search|servers (before 2.53)."""
    lister = _lister(request)
    region, bare = names.split(request.match_info["name"], await lister.regions())
    path = f"/os-hypervisors/{quote(bare, safe='')}/{request.match_info['what']}"
    gathered = await lister.gather(path, _headers(request), only=region)
    if not gathered.answers and gathered.refused is None and gathered.missing:
        raise faults.PodUnavailable(pod=", ".join(gathered.missing))
    return _respond(request, admin.collect(gathered, "hypervisors", admin.hypervisor))


async def hypervisor_show(request: web.Request) -> web.Response:
    """GET /os-hypervisors/{id}[/uptime]."""
    tail = "/uptime" if request.path.endswith("/uptime") else ""
    return await _show(request, "os-hypervisors", "hypervisor", tail, admin.hypervisor)


# ---- services, aggregates -------------------------------------------------------------
async def services(request: web.Request) -> web.Response:
    """GET /os-services (a qualified `host` filter asks only that host's pod)."""
    lister = _lister(request)
    region, query = await _query_for_pod(request, lister, "host")
    gathered = await lister.gather(f"/os-services{query}", _headers(request), only=region)
    return _respond(request, admin.collect(gathered, "services", admin.service))


async def aggregates(request: web.Request) -> web.Response:
    """GET /os-aggregates."""
    gathered = await _lister(request).gather("/os-aggregates", _headers(request))
    return _respond(request, admin.collect(gathered, "aggregates", admin.aggregate))


async def aggregate_show(request: web.Request) -> web.Response:
    """GET /os-aggregates/{id}."""
    return await _show(request, "os-aggregates", "aggregate", "", admin.aggregate)


# ---- hosts (os-hosts; Nova removed it at 2.43 and answers 404 from there) -------------
async def hosts(request: web.Request) -> web.Response:
    """GET /os-hosts[?zone=]: the hosts of every pod, named and zoned as in the
    other listings; the zone filter is applied here, to the top AZ names."""
    gathered = await _lister(request).gather("/os-hosts", _headers(request))
    result = admin.collect(gathered, "hosts", admin.host)
    zone = request.query.get("zone")
    if zone and result.body is not None:
        result.body["hosts"] = [h for h in result.body["hosts"] if h.get("zone") == zone]
    return _respond(request, result)


async def host_member(request: web.Request) -> web.Response:
    """GET/PUT /os-hosts/{host}, GET /os-hosts/{host}/{startup|shutdown|reboot}:
    sent to the host's pod ("<host>@<region>"; a bare name: the pods in turn
    until one knows it). 404 in Nova's words when no pod does; 503 when the
    pod of a qualified name is down."""
    lister = _lister(request)
    in_service, _slots = await lister.pods()
    region, bare = names.split(request.match_info["host"], [p.region_name for p in in_service])
    action = request.match_info.get("action")
    path = f"/os-hosts/{quote(bare, safe='')}" + (f"/{quote(action, safe='')}" if action else "")
    body = await request.read() or None
    forwarder = compute_core(request.app).forwarder
    qualify = names.Qualifier(len(in_service))
    last = None
    for pod in (p for p in in_service if region in (None, p.region_name)):
        target = Target(pod, path)
        last = await forwarder.send(request, target, body=body)
        if last.status != 404:
            doc = _json_body(last.body) if last.status == 200 else {}
            if doc:
                shown = json.dumps(admin.host_answer(doc, pod.region_name, qualify)).encode()
                last = PodResponse(last.status, last.headers, shown, last.elapsed)
            return await forwarder.respond(request, target, last)
    if last is not None:
        return pod_answer(request, last)
    raise faults.NotFound(f"Compute host {request.match_info['host']} could not be found.")


# ---- usage ---------------------------------------------------------------------------
async def tenant_usages(request: web.Request) -> web.Response:
    """GET /os-simple-tenant-usage[/{tenant_id}]: usage summed over the pods."""
    tenant = request.match_info.get("tenant_id")
    path = "/os-simple-tenant-usage" + (f"/{tenant}" if tenant else "")
    if request.query_string:
        path += "?" + request.query_string
    gathered = await _lister(request).gather(path, _headers(request))
    return _respond(request, admin.tenant_usages(gathered, single=tenant is not None))


# ---- one item by top id ------------------------------------------------------------
async def _show(request: web.Request, collection: str, member: str, tail: str,
                transform: admin.Transform) -> web.Response:
    """An item by its top id: an integer id names its pod (slot); a UUID is
    looked for in every pod."""
    lister = _lister(request)
    ident, region = request.match_info["id"], None
    if ident.isdigit():
        bottom, slot = names.bottom_int_id(int(ident))
        _in_service, slots = await lister.pods()
        region = next((r for r, s in slots.items() if s == slot), "")
        ident = str(bottom)
    gathered = await lister.gather(f"/{collection}/{ident}{tail}", _headers(request),
                                   only=region)
    if gathered.answers:
        answer = gathered.answers[0]
        doc = answer.response.json() or {}
        qualify = names.Qualifier(gathered.in_service)
        body = {member: transform(dict(doc.get(member) or {}), answer, qualify)}
        return _respond(request, admin.Result(body=body,
                                              headers=admin.version_headers(gathered)))
    if gathered.refused is not None:
        return pod_answer(request, gathered.refused)
    if gathered.missing:
        raise faults.PodUnavailable(pod=", ".join(gathered.missing))
    raise faults.NotFound(f"{member.capitalize()} {request.match_info['id']} could not be found.")


# ---- changes to one item by top id -------------------------------------------------
async def service_change(request: web.Request) -> web.Response:
    """PUT/DELETE /os-services/{id}; PUT /os-services/{action} with a body host."""
    ident = request.match_info["id"]
    if ident in ("enable", "disable", "disable-log-reason", "force-down"):
        return await _by_host(request, ident)
    return await _change(request, "os-services", "service", admin.service)


async def aggregate_change(request: web.Request) -> web.Response:
    """PUT/DELETE /os-aggregates/{id}, POST /os-aggregates/{id}/action."""
    return await _change(request, "os-aggregates", "aggregate", admin.aggregate)


async def _change(request: web.Request, collection: str, member: str,
                  transform: admin.Transform) -> web.Response:
    lister = _lister(request)
    in_service, slots = await lister.pods()
    ident, tail = request.match_info["id"], request.match_info.get("tail", "")
    body = await request.read()
    if ident.isdigit():
        bottom, slot = names.bottom_int_id(int(ident))
        candidates = [p for p in in_service if slots.get(p.region_name) == slot]
        ident = str(bottom)
    else:
        candidates = in_service
    if collection == "os-aggregates" and body and len(candidates) == 1:
        doc = admin.aggregate_request(_json_body(body), candidates[0])
        body = json.dumps(doc).encode() if doc else body
    path = f"/{collection}/{ident}" + (f"/{tail}" if tail else "")
    return await _first_owner(request, candidates, path, body, member, transform,
                              slots, len(in_service))


async def _by_host(request: web.Request, action: str) -> web.Response:
    lister = _lister(request)
    in_service, slots = await lister.pods()
    doc = _json_body(await request.read())
    region, bare = names.split(str(doc.get("host", "")), [p.region_name for p in in_service])
    doc["host"] = bare
    candidates = [p for p in in_service if region in (None, p.region_name)]
    return await _first_owner(request, candidates, f"/os-services/{action}",
                              json.dumps(doc).encode(), "service", admin.service, slots,
                              len(in_service))


async def _first_owner(request: web.Request, candidates: list[PodInfo], path: str,
                       body: bytes, member: str, transform: admin.Transform,
                       slots: dict[str, int], in_service: int) -> web.Response:
    """Send the change to the candidate pods in turn until one does not say 404;
    its answer, with the item's names and ids as the gateway shows them."""
    forwarder = compute_core(request.app).forwarder
    last = None
    for pod in candidates:
        target = Target(pod, path)
        last = await forwarder.send(request, target, body=body or None)
        if last.status != 404:
            return await forwarder.respond(request, target,
                                           _shown(last, pod, member, transform, slots,
                                                  in_service))
    if last is not None:
        return pod_answer(request, last)
    raise faults.NotFound(f"{member.capitalize()} {request.match_info.get('id', '')} "
                          "could not be found.")


def _shown(resp: PodResponse, pod: PodInfo, member: str, transform: admin.Transform,
           slots: dict[str, int], in_service: int) -> PodResponse:
    doc = _json_body(resp.body)
    if not isinstance(doc.get(member), dict):
        return resp
    answer = admin.PodAnswer(pod, slots.get(pod.region_name, 0), resp)
    doc[member] = transform(dict(doc[member]), answer, names.Qualifier(in_service))
    return PodResponse(resp.status, resp.headers, json.dumps(doc).encode(), resp.elapsed)


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body) if body else {}
    except (ValueError, UnicodeDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


async def aggregate_create(request: web.Request) -> web.Response:
    """POST /os-aggregates: created in the first pod of the requested top AZ (its
    pod AZ name sent), else in the first pod in service."""
    in_service, slots = await _lister(request).pods()
    doc = _json_body(await request.read())
    member = doc.get("aggregate") if isinstance(doc.get("aggregate"), dict) else None
    zone = member.get("availability_zone") if member else None
    chosen = [p for p in in_service if zone and p.az_name == zone][:1] or in_service[:1]
    if chosen:
        doc = admin.aggregate_request(doc, chosen[0])
    return await _first_owner(request, chosen, "/os-aggregates", json.dumps(doc).encode(),
                              "aggregate", admin.aggregate, slots, len(in_service))
