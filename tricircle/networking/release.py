"""Release of a deleted server's ports, as a job (``networking.release_ports``).

Enqueued with the server's delete. Level-triggered: it waits (retries) until the
pod no longer has the server and no `binding.attach_port` job of the server is
pending (the central port would show the server only after this release), then
for each central port whose ``device_id`` is the server (and each port an attach
job of the server failed to mark): deletes the bottom port and its routing row;
deletes the central port if the gateway created it for the boot (tag
`plan.AUTO_PORT_TAG`), else unbinds it (``device_id`` '', ``device_owner`` '') so
it can be used again, in any pod.

`release_now`: when central Neutron refuses the delete of a network or subnet
because ports the gateway made for a deleted server are still on it (the user
deleted the server and then at once its subnet, as tempest's clean-ups do), those
ports are released in the request, all at once, and the delete is retried: one
round of central calls, instead of waiting for the job (which, on a loaded
central Neutron, took longer than clients wait).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from aiohttp import web

from tricircle import faults
from tricircle.api import keys
from tricircle.clients.pod import PodClient, PodRequestError
from tricircle.jobs import api as jobs
from tricircle.jobs.handlers import JobContext, JobDeps, register
from tricircle.networking import binding, l3hooks, plan, sync
from tricircle.networking.bottom import BottomNetworking, PodNeutron
from tricircle.networking.central import CentralNeutron, CentralNotConfigured
from tricircle.pods import registry
from tricircle.resources.network import PORT
from tricircle.routing.table import Route

LOG = logging.getLogger(__name__)
RELEASE_PORTS = "networking.release_ports"


class ServerStillThere(Exception):
    """The pod still has the server: retry later."""


async def enqueue_release(s: Any, route: Route, *, delay: float = 2.0) -> None:
    """Schedule the release of the ports of the deleted server `route` (same transaction)."""
    await jobs.enqueue(s, RELEASE_PORTS, route.top_id, project_id=route.project_id,
                       delay=delay, payload={"server_id": route.top_id, "pod_id": route.pod_id,
                                             "bottom_id": route.bottom_id or route.top_id})


@register(RELEASE_PORTS)
async def release_ports(ctx: JobContext) -> None:
    await _release(ctx.deps, ctx.project_id, ctx.payload)


async def _release(deps: JobDeps, project_id: str, payload: dict[str, Any]) -> None:
    """Release the ports of the deleted server `payload` names. Raises
    ServerStillThere while the pod has it, PodRequestError, RuntimeError."""
    neutron = CentralNeutron(deps.conf, deps.pods)
    try:
        _ = neutron.url
    except CentralNotConfigured:
        return
    token = await deps.service_auth.token()
    async with deps.db.session() as s:
        pod = await registry.get_pod(s, payload["pod_id"])
    client = await deps.pods.get(pod.region_name)
    await _check_gone(client, token, payload["bottom_id"])
    attaches = await _attached(deps, payload["server_id"])
    bottom = BottomNetworking(deps.db, PodNeutron(client, token, pod), project_id)
    resp = await neutron.call("GET", f"/v2.0/ports?device_id={payload['server_id']}", token)
    if resp.status != 200:
        raise RuntimeError(f"central ports of server {payload['server_id']}: {resp.status}")
    ports = (resp.json() or {}).get("ports", [])
    ports += await _unmarked(neutron, token, attaches, {p["id"] for p in ports})
    await _release_ports(deps, project_id, bottom, neutron, token, ports)


async def _release_ports(deps: JobDeps, project_id: str, bottom: BottomNetworking,
                         neutron: CentralNeutron, token: str,
                         ports: list[dict[str, Any]]) -> None:
    """Each port's bottom copy removed and the central port released, all ports at
    once; then other pods forget their addresses and routers learn they left.
    Raises the first failure (PodRequestError, RuntimeError, faults.TricircleError)."""
    async def one(port: dict[str, Any]) -> None:
        await bottom.remove(PORT, port["id"])
        await release_central(neutron, token, port)

    results = await asyncio.gather(*(one(p) for p in ports), return_exceptions=True)
    failed = next((r for r in results if isinstance(r, BaseException)), None)
    if failed is not None:
        raise failed
    async with deps.db.session() as s:  # other pods forget these members' addresses
        await sync.enqueue_members(s, [g for p in ports for g in p.get("security_groups") or []],
                                   project_id)
        # their floating IPs leave the gateway pod (or their shadow ports do)
        await l3hooks.enqueue_ports(s, [(p["id"], p["network_id"]) for p in ports], project_id)


async def attach_jobs(deps: JobDeps, server_id: str | None = None) -> list[jobs.JobInfo]:
    """`binding.attach_port` jobs not succeeded (of `server_id`, else all): few,
    they run right after a boot's answer."""
    found = []
    async with deps.db.session() as s:
        for status in ("new", "running", "failed"):
            found += await jobs.list_jobs(s, job_type=binding.ATTACH_PORT, status=status)
    return [j for j in found if server_id is None or j.payload.get("server_id") == server_id]


async def _attached(deps: JobDeps, server_id: str) -> list[jobs.JobInfo]:
    """The attach jobs of `server_id` once none is pending (they run right after
    the boot's answer and take a moment); those left failed. Raises
    ServerStillThere when some are still pending after a few seconds."""
    for pause in (0.2, 0.5, 1.0, 2.0, None):
        found = await attach_jobs(deps, server_id)
        if not any(j.status in ("new", "running") for j in found):
            return found
        if pause is not None:
            await asyncio.sleep(pause)
    raise ServerStillThere(f"ports of server {server_id} still being attached")


async def _unmarked(neutron: CentralNeutron, token: str, attaches: list[jobs.JobInfo],
                    known: set[str]) -> list[dict[str, Any]]:
    """Central ports of failed attach jobs that never showed their server (those
    the gateway made for the boot count as tagged: they go with the server)."""
    ports = []
    for job in sorted(attaches, key=lambda j: j.resource_key):
        if job.resource_key in known:
            continue
        resp = await neutron.call("GET", f"/v2.0/ports/{job.resource_key}", token)
        if resp.status != 200 or resp.json()["port"].get("device_id"):
            continue
        port = resp.json()["port"]
        if job.payload.get("created_top"):
            port["tags"] = [*(port.get("tags") or []), plan.AUTO_PORT_TAG]
        ports.append(port)
    return ports


# A delete refused while a deleted server's ports wait for their release job.
_IN_USE = re.compile(r"^/v2\.0/(networks|subnets)/([^/?]+)/?(?:\?.*)?$")
_WAIT_GONE = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0)  # about 12 s: a busy pod or worker


async def release_now(app: web.Application, method: str, path: str, status: int) -> bool:
    """After central answered 409 to the delete of a network or subnet: release at
    once the ports the gateway made for deleted servers that are still on it (what
    their pending `networking.release_ports` job would do, for these ports only,
    all at once; a running job does the same harmlessly). True when some were
    released (the delete is worth retrying). A user's own port keeps its address,
    as in Neutron (the 409 stands)."""
    match = _IN_USE.match(path) if method == "DELETE" and status == 409 else None
    if match is None:
        return False
    deps = JobDeps(db=app[keys.DB], pods=app[keys.PODS], service_auth=app[keys.SERVICE_AUTH],
                   conf=app[keys.CONF])
    kind, top_id = match.groups()
    query = f"network_id={top_id}" if kind == "networks" else f"fixed_ips=subnet_id%3D{top_id}"
    token = await deps.service_auth.token()
    neutron = CentralNeutron(deps.conf, deps.pods)
    resp = await neutron.call("GET", f"/v2.0/ports?{query}", token)
    ports = (resp.json() or {}).get("ports", []) if resp.status == 200 else []
    by_server = await _servers_ports(deps, ports)
    released = await asyncio.gather(*(_release_for(deps, neutron, token, server, its, kind,
                                                   top_id)
                                      for server, its in sorted(by_server.items())))
    return any(released)


async def _servers_ports(deps: JobDeps, ports: list[dict[str, Any]]
                         ) -> dict[str, list[dict[str, Any]]]:
    """The ports the gateway made for a server (tagged, or made by a boot whose
    attach job has not run yet), by server."""
    pending = {j.resource_key: j for j in await attach_jobs(deps)} \
        if any(not p.get("device_id") for p in ports) else {}
    found: dict[str, list[dict[str, Any]]] = {}
    for port in ports:
        server, job = port.get("device_id"), pending.get(port["id"])
        if not server and job is not None and job.payload.get("created_top"):
            server = str(job.payload.get("server_id"))
            port = {**port, "tags": [*(port.get("tags") or []), plan.AUTO_PORT_TAG]}
        if server and server != plan.DHCP_DEVICE and \
                plan.AUTO_PORT_TAG in (port.get("tags") or []):
            found.setdefault(server, []).append(port)
    return found


async def _release_for(deps: JobDeps, neutron: CentralNeutron, token: str, server: str,
                       ports: list[dict[str, Any]], kind: str, top_id: str) -> bool:
    """Release `ports` of `server` once its pod no longer has it (waiting a few
    seconds); False when the gateway did not delete that server or it stays."""
    async with deps.db.session() as s:
        found = await jobs.list_jobs(s, job_type=RELEASE_PORTS, resource_key=server, limit=1)
    if not found:
        LOG.info("%s %s in use by %s: no release pending", kind, top_id, server)
        return False
    payload, project_id = found[0].payload, found[0].project_id
    try:
        async with deps.db.session() as s:
            pod = await registry.get_pod(s, payload["pod_id"])
        client = await deps.pods.get(pod.region_name)
        if not await _gone_soon(client, token, payload["bottom_id"]):
            return False
        bottom = BottomNetworking(deps.db, PodNeutron(client, token, pod), project_id)
        await _release_ports(deps, project_id, bottom, neutron, token, ports)
    except (PodRequestError, RuntimeError, faults.TricircleError) as exc:
        LOG.warning("ports of server %s on %s %s not released now: %s", server, kind, top_id,
                    exc)
        return False
    LOG.info("%s %s: %d port(s) of deleted server %s released at once", kind, top_id,
             len(ports), server)
    return True


async def _gone_soon(client: PodClient, token: str, server_id: str) -> bool:
    """Whether the pod answers 404 for the server, waiting a few seconds for it."""
    for pause in (*_WAIT_GONE, None):
        try:
            await _check_gone(client, token, server_id)
            return True
        except ServerStillThere:
            if pause is None:
                return False
            await asyncio.sleep(pause)
    return False


async def _check_gone(client: PodClient, token: str, server_id: str) -> None:
    try:
        resp = await client.request("compute", "GET", f"/servers/{server_id}",
                                    headers={"X-Auth-Token": token})
    except PodRequestError as exc:
        raise ServerStillThere(f"pod not reachable: {exc}") from exc
    if resp.status != 404:
        raise ServerStillThere(f"server {server_id} still answers {resp.status}")


async def release_central(neutron: CentralNeutron, token: str, port: dict[str, Any]) -> None:
    """Delete the central port the gateway made (tagged), else unbind the user's.
    Raises RuntimeError when central refuses."""
    if plan.AUTO_PORT_TAG in (port.get("tags") or []):
        resp = await neutron.call("DELETE", f"/v2.0/ports/{port['id']}", token)
    else:
        body = {"port": {"device_id": "", "device_owner": "", "binding:host_id": ""}}
        resp = await neutron.call("PUT", f"/v2.0/ports/{port['id']}", token, json_body=body)
    if resp.status not in (200, 204, 404):
        raise RuntimeError(f"central port {port['id']}: {resp.status} {resp.body[:200]!r}")
    LOG.info("port %s of deleted server released", port["id"])
