"""Release of a deleted server's ports, as a job (``networking.release_ports``).

Enqueued with the server's delete. Level-triggered: it waits (retries) until the
pod no longer has the server and no `binding.attach_port` job of the server is
pending (the central port would show the server only after this release), then
for each central port whose ``device_id`` is the server (and each port an attach
job of the server failed to mark): deletes the bottom port and its routing row;
deletes the central port if the gateway created it for the boot (tag
`plan.AUTO_PORT_TAG`), else unbinds it (``device_id`` '', ``device_owner`` '') so
it can be used again, in any pod.

`release_now` runs a pending release at once when central Neutron refuses the
delete of a network or subnet because a deleted server's ports are still on it
(the user deleted the server and then at once its subnet).
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
    for port in ports:
        await bottom.remove(PORT, port["id"])
        await release_central(neutron, token, port)
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
    """After central answered 409 to the delete of a network or subnet: run at
    once the pending releases of deleted servers' ports still on it. True when
    one ran (the delete is worth retrying)."""
    match = _IN_USE.match(path) if method == "DELETE" and status == 409 else None
    if match is None:
        return False
    deps = JobDeps(db=app[keys.DB], pods=app[keys.PODS], service_auth=app[keys.SERVICE_AUTH],
                   conf=app[keys.CONF])
    kind, top_id = match.groups()
    query = f"network_id={top_id}" if kind == "networks" else f"fixed_ips=subnet_id%3D{top_id}"
    token = await deps.service_auth.token()
    resp = await CentralNeutron(deps.conf, deps.pods).call(
        "GET", f"/v2.0/ports?{query}&fields=id&fields=device_id", token)
    servers = await _servers_of(deps, (resp.json() or {}).get("ports", [])
                                if resp.status == 200 else [])
    ran = False
    for server in servers:
        async with deps.db.session() as s:
            found = await jobs.list_jobs(s, job_type=RELEASE_PORTS, resource_key=server,
                                         limit=1)
        if found and found[0].status == "running":
            ran = await _job_ended(deps, found[0].id) or ran
        elif found and found[0].status in ("new", "failed"):
            ran = await _release_waiting(deps, found[0].project_id, found[0].payload) or ran
        else:
            LOG.info("%s %s in use by %s: no pending release (%s)", kind, top_id, server,
                     found[0].status if found else "none")
    return ran


async def _servers_of(deps: JobDeps, ports: list[dict[str, Any]]) -> list[str]:
    """The servers of `ports`: their device_id, or the server of a port's attach
    job that has not run yet (a server deleted right after its boot)."""
    servers = {p["device_id"] for p in ports
               if p.get("device_id") not in ("", None, plan.DHCP_DEVICE)}
    unmarked = {p["id"] for p in ports if not p.get("device_id")}
    if unmarked:
        servers |= {str(j.payload.get("server_id")) for j in await attach_jobs(deps)
                    if j.resource_key in unmarked}
    return sorted(servers)


async def _job_ended(deps: JobDeps, job_id: str) -> bool:
    """Wait a few seconds for a running release to end; whether it did."""
    for pause in _WAIT_GONE:
        await asyncio.sleep(pause)
        async with deps.db.session() as s:
            if (await jobs.get_job(s, job_id)).status != "running":
                return True
    return False


async def _release_waiting(deps: JobDeps, project_id: str, payload: dict[str, Any]) -> bool:
    """Release now, waiting a few seconds for the pod to finish the delete."""
    for pause in (*_WAIT_GONE, None):
        try:
            await _release(deps, project_id, payload)
            return True
        except ServerStillThere:
            if pause is None:
                return False
            await asyncio.sleep(pause)
        except (PodRequestError, RuntimeError, faults.TricircleError) as exc:
            LOG.warning("release of server %s's ports postponed: %s", payload["server_id"], exc)
            return False
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
