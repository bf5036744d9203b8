"""Cross-pod L3 realisation: the ``networking.router_setup`` job (key: top router id).

Level-triggered and idempotent: each run re-reads the top router from central
Neutron (interfaces, gateway, routes, floating IPs) and the routing table
(which pods hold which networks and ports), plans with `l3plan` and makes every
pod match: bottom router, interfaces, bridge interface, gateway with SNAT,
extra routes, floating IPs (and their shadow ports). Pods the router no longer
spans are emptied; a router gone from central Neutron is removed everywhere.
A pod that cannot be reached fails the run, which the engine retries with
backoff (the admin API shows the job and its last error meanwhile).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tricircle.jobs import api as jobs
from tricircle.jobs.handlers import JobContext, JobDeps, PermanentFailure, register
from tricircle.networking import azhints, l3plan, plan
from tricircle.networking import bridge as bridges
from tricircle.networking.bottom import BottomNetworking, PodNeutron
from tricircle.networking.central import CentralNeutron
from tricircle.networking.groups import create
from tricircle.pods import registry
from tricircle.pods.registry import PodInfo
from tricircle.resources.network import NETWORK, PORT, SUBNET
from tricircle.routing import table

LOG = logging.getLogger(__name__)
# Interface changes sent at once to one pod: a pod serialises the changes of one
# router (and serves two requests at a time in the lab); more only queue there.
_PARALLEL = 4
ROUTER_SETUP = "networking.router_setup"
ROUTER, FLOATINGIP, SHADOW_PORT = "router", "floatingip", "shadow_port"
T = TypeVar("T")


async def enqueue(s: Any, router_id: str, project_id: str, *, delay: float = 0) -> None:
    """Schedule the realisation of a top router (coalesced per router)."""
    await jobs.enqueue(s, ROUTER_SETUP, router_id, project_id=project_id, delay=delay)


class ExternalNetworkUnplaced(PermanentFailure):
    """The external network names no pod (and there is more than one)."""


def external_pod(network: dict[str, Any], pods: list[PodInfo]) -> str:
    """The pod owning an external network: the pod whose region or top AZ is
    named by the network's ``availability_zone_hints`` (kept by the gateway as
    `azhints` tags) or one of its tags; the only pod when there is one. Raises
    ExternalNetworkUnplaced."""
    names = [*(network.get("availability_zone_hints") or []), *azhints.hints_of(network),
             *(network.get("tags") or [])]
    for name in names:
        matches = sorted(p.id for p in pods if name in (p.region_name, p.az_name))
        if matches:
            return matches[0]
    if len(pods) == 1:
        return pods[0].id
    raise ExternalNetworkUnplaced(
        f"external network {network['id']} names no pod: give it the availability zone "
        "of the pod that owns it (availability_zone_hints), or tag it with its region")


@dataclass
class _Run:
    """One run of the job: central (admin), the database and the pods."""

    deps: JobDeps
    central: bridges.AdminCentral
    token: str
    router_id: str
    project_id: str
    pods: dict[str, PodInfo]
    bridge_ports: dict[str, dict[str, Any]] = field(default_factory=dict)
    ports: dict[str, dict[str, Any]] = field(default_factory=dict)         # interface ports
    subnets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by network

    async def bottom(self, pod_id: str) -> BottomNetworking:
        pod = self.pods[pod_id]
        neutron = PodNeutron(await self.deps.pods.get(pod.region_name), self.token, pod)
        return BottomNetworking(self.deps.db, neutron, self.project_id)

    async def routes_of(self, top_ids: Iterable[str], kind: str) -> list[table.Route]:
        ids = sorted(set(top_ids))
        if not ids:
            return []
        async with self.deps.db.session() as s:
            return [r for r in await table.lookup_many(s, ids, kind) if r.bottom_id]


async def copy_network_to(deps: JobDeps, pod: PodInfo, network_id: str,
                          project_id: str) -> str:
    """Make `pod` hold a copy of a top network and its subnets, as a boot there
    would (benchmarks, tools); the bottom network id."""
    token = await deps.service_auth.token()
    central = bridges.AdminCentral(CentralNeutron(deps.conf, deps.pods), token)
    run = _Run(deps, central, token, "", project_id, {pod.id: pod})
    return (await copy_network(run, await run.bottom(pod.id), network_id))[0]


@register(ROUTER_SETUP)
async def router_setup(ctx: JobContext) -> None:
    deps = ctx.deps
    token = await deps.service_auth.token()
    central = bridges.AdminCentral(CentralNeutron(deps.conf, deps.pods), token)
    async with deps.db.session() as s:
        pods = {p.id: p for p in await registry.list_pods(s)}
    doc = await central.get(f"/routers/{ctx.resource_key}")
    router = doc["router"] if doc else None
    project = (router or {}).get("project_id") or await _owner(deps, ctx)
    run = _Run(deps, central, token, ctx.resource_key, project, pods)
    if router is None:
        await _teardown(run, keep=())
        await _drop_bridge(run)
        return
    state = await read_state(run, router)
    placement = l3plan.place(state)
    if placement.bridged:
        try:
            l3plan.check_bridge(state, str(deps.conf.networking.bridge_cidr))
        except l3plan.BridgeOverlap as exc:
            raise PermanentFailure(str(exc)) from exc
    # the pods start on the tenant's interfaces while central makes the bridge
    bridge = asyncio.ensure_future(_bridge(run, placement))
    done = await asyncio.gather(*(_realise(run, router, state, placement, pod, bridge)
                                  for pod in placement.pods), return_exceptions=True)
    made = (await asyncio.gather(bridge, return_exceptions=True))[0]
    failed = [r for r in [*done, made] if isinstance(r, BaseException)]
    if failed:  # every pod had its chance; the retry re-plans
        raise failed[0]
    await _teardown(run, keep=placement.pods)
    if not placement.bridged:
        await _drop_bridge(run)


async def _owner(deps: JobDeps, ctx: JobContext) -> str:
    """The project of a router gone from central: its routing rows say (the job's
    project is whoever deleted it, maybe an admin)."""
    async with deps.db.session() as s:
        rows = await table.lookup(s, ctx.resource_key, ROUTER, project_id=None)
    return rows[0].project_id if rows else ctx.project_id


async def read_state(run: _Run, router: dict[str, Any]) -> l3plan.RouterState:
    """The planner's view of the top router (central reads + routing table)."""
    central = run.central
    ports = await central.items("ports", f"device_id={router['id']}")
    itf_ports = [p for p in ports if p.get("device_owner") in l3plan.INTERFACE_OWNERS]
    run.ports = {p["id"]: p for p in itf_ports}
    run.subnets = await _subnets(central, sorted({p["network_id"] for p in itf_ports}))
    cidrs = {sub["id"]: sub["cidr"] for subs in run.subnets.values() for sub in subs}
    interfaces = tuple(
        l3plan.Interface(p["id"], p["network_id"], ip["subnet_id"], ip["ip_address"],
                         cidrs[ip["subnet_id"]])
        for p in itf_ports for ip in p.get("fixed_ips", []) if ip["subnet_id"] in cidrs)
    network_pods: dict[str, list[str]] = {}
    for route in await run.routes_of((i.network_id for i in interfaces), NETWORK):
        network_pods.setdefault(route.top_id, []).append(route.pod_id)
    homes = {r.top_id: r.pod_id for r in await run.routes_of((p["id"] for p in itf_ports), PORT)}
    gateway = await _gateway(run, router.get("external_gateway_info"))
    return l3plan.RouterState(
        router_id=router["id"], interfaces=interfaces,
        network_pods={k: tuple(sorted(v)) for k, v in network_pods.items()},
        current_homes=homes, gateway=gateway,
        routes=tuple((r["destination"], r["nexthop"]) for r in router.get("routes") or []),
        floating_ips=await _floating_ips(run, router["id"]) if gateway else ())


async def _subnets(central: bridges.AdminCentral,
                   networks: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Central's subnets of `networks` (one call), by network."""
    found: dict[str, list[dict[str, Any]]] = {n: [] for n in networks}
    if networks:
        query = "&".join(f"network_id={n}" for n in networks)
        for sub in await central.items("subnets", query):
            found.setdefault(sub["network_id"], []).append(sub)
    return found


async def _gateway(run: _Run, info: dict[str, Any] | None) -> l3plan.Gateway | None:
    if not info or not info.get("network_id"):
        return None
    doc = await run.central.get(f"/networks/{info['network_id']}")
    if doc is None:
        return None
    pod = external_pod(doc["network"], sorted(run.pods.values(), key=lambda p: p.region_name))
    subnets = await run.central.items("subnets", f"network_id={info['network_id']}")
    return l3plan.Gateway(
        network_id=info["network_id"], pod=pod, enable_snat=bool(info.get("enable_snat", True)),
        fixed_ips=tuple((i["subnet_id"], i["ip_address"])
                        for i in info.get("external_fixed_ips") or []),
        cidrs=tuple(s["cidr"] for s in subnets))


async def _floating_ips(run: _Run, router_id: str) -> tuple[l3plan.FloatingIp, ...]:
    fips = [f for f in await run.central.items("floatingips", f"router_id={router_id}")
            if f.get("port_id")]
    if not fips:
        return ()
    query = "&".join(f"id={f['port_id']}" for f in fips) + "&fields=id&fields=network_id"
    networks = {p["id"]: p["network_id"] for p in await run.central.items("ports", query)}
    where = {r.top_id: r.pod_id for r in await run.routes_of(networks, PORT)}
    return tuple(
        l3plan.FloatingIp(f["id"], f["floating_ip_address"], f["port_id"],
                          f.get("fixed_ip_address") or "", networks[f["port_id"]],
                          where.get(f["port_id"]))
        for f in fips if f["port_id"] in networks)


async def _bridge(run: _Run, placement: l3plan.Placement) -> dict[str, str]:
    """pod -> bridge address of this router's bottom router (empty when the
    router lives in one pod)."""
    if not placement.bridged:
        return {}
    cidr = str(run.deps.conf.networking.bridge_cidr)
    net = await bridges.ensure_bridge(run.central, run.project_id, cidr)
    ports = await bridges.ensure_ports(run.central, net, run.router_id, placement.pods)
    run.bridge_ports = ports
    return {pod: bridges.bridge_ip(port) for pod, port in ports.items()}


async def _drop_bridge(run: _Run) -> None:
    gone = await bridges.release_router(run.central, run.project_id, run.router_id)
    if gone:
        from tricircle.networking.cleanup import NETWORK_CLEANUP

        async with run.deps.db.session() as s:
            if await table.lookup(s, gone, NETWORK, project_id=None):
                await jobs.enqueue(s, NETWORK_CLEANUP, gone, project_id=run.project_id)


# ---- one pod ----

async def _realise(run: _Run, router: dict[str, Any], state: l3plan.RouterState,
                   placement: l3plan.Placement, pod: str,
                   bridge: asyncio.Future[dict[str, str]]) -> None:
    """Make one pod's bottom router match the plan (`bridge`: the bridge
    addresses, being made in central meanwhile)."""
    bottom = await run.bottom(pod)
    body = l3plan.bottom_router_body(router, run.project_id)
    bottom_router, _ = await bottom.ensure(
        ROUTER, run.router_id, lambda: create(bottom, "routers", body))
    observed = (await bottom.neutron.call("GET", f"/routers/{bottom_router}"))["router"]
    found = await bottom.neutron.call("GET", f"/ports?device_id={bottom_router}")
    ports = (found or {}).get("ports", [])
    tenant = [run.ports[p] for p in l3plan.homed_in(placement, pod)]

    async def on_bridge() -> tuple[l3plan.PodRouter, list[str]]:
        want = l3plan.pod_plan(state, placement, pod, await bridge)
        tops = [run.bridge_ports[pod]] if want.bridge else []
        return want, await _attach_all(run, bottom, bottom_router, tops, ports)

    mine, (want, theirs) = await asyncio.gather(
        _attach_all(run, bottom, bottom_router, tenant, ports), on_bridge())
    keep = mine + theirs
    # floating IPs live only where the router has (or had) its gateway
    had_gateway = want.gateway is not None or bool(observed.get("external_gateway_info"))
    fips = await _prune_floating(run, bottom, bottom_router, want) if had_gateway else {}
    if want.gateway is not None:
        await _set_gateway(run, bottom, bottom_router, observed, want.gateway)
        await _floating(run, bottom, bottom_router, want, fips)
    elif had_gateway:
        await _drop_shadows(run, bottom, set())
    update = l3plan.router_update(router, observed, want.routes)
    if update:  # name, admin state, routes: one PUT
        await bottom.neutron.call("PUT", f"/routers/{bottom_router}", {"router": update})
    await _detach_others(bottom, bottom_router, set(keep), ports)
    if want.gateway is None and observed.get("external_gateway_info"):
        await bottom.neutron.call("PUT", f"/routers/{bottom_router}",
                                  {"router": {"external_gateway_info": {}}})
    LOG.info("router %s realised in %s: %d interfaces, %d routes, %d floating IPs",
             run.router_id, bottom.neutron.pod.region_name, len(keep), len(want.routes),
             len(want.floating_ips))


async def _parallel(calls: list[Awaitable[T]]) -> list[T]:
    """Results of `calls`, at most _PARALLEL running at once (one pod's API)."""
    limit = asyncio.Semaphore(_PARALLEL)

    async def one(call: Awaitable[T]) -> T:
        async with limit:
            return await call

    return list(await asyncio.gather(*(one(c) for c in calls)))


async def _attach_all(run: _Run, bottom: BottomNetworking, bottom_router: str,
                      tops: list[dict[str, Any]], ports: list[dict[str, Any]]) -> list[str]:
    """The bottom interfaces of the central router-side ports `tops`, attached to
    the bottom router (`ports`: the bottom router's ports as listed). Copies of
    the networks first, then the attachments, a few at a time (a pod serialises
    the interface changes of one router)."""
    copies = await _parallel([copy_network(run, bottom, top["network_id"]) for top in tops])
    on_router = {(ip["subnet_id"], ip["ip_address"]): p["id"]
                 for p in ports for ip in p.get("fixed_ips") or []}
    by_port = [top for top in tops if not _by_subnet(run, top)]
    marked = await _marked_ports(bottom, by_port)
    return await _parallel([
        _attach(run, bottom, bottom_router, top, copy, on_router, marked.get(top["id"]))
        for top, copy in zip(tops, copies, strict=True)])


def _by_subnet(run: _Run, top_port: dict[str, Any]) -> bool:
    """Whether a central interface port is attached in a pod by its subnet: one
    address, the subnet's gateway (what ``add_router_interface {subnet_id}``
    gives the pod's port)."""
    ips = top_port.get("fixed_ips") or []
    if len(ips) != 1:
        return False
    subnets = run.subnets.get(top_port["network_id"]) or []
    gateway = next((s.get("gateway_ip") for s in subnets if s["id"] == ips[0]["subnet_id"]), None)
    return bool(gateway) and gateway == ips[0]["ip_address"]


async def _marked_ports(bottom: BottomNetworking,
                        tops: list[dict[str, Any]]) -> dict[str, str]:
    """Bottom ports already marked with the top ids of `tops` whose routing rows
    are not bound (a run cut short between create and bind): one list call per
    50 instead of a look-up per port."""
    unbound = []
    for top in tops:
        route = await bottom.existing(PORT, top["id"])
        if route is None or not route.bottom_id:
            unbound.append(top["id"])
    found: dict[str, str] = {}
    for i in range(0, len(unbound), 50):
        query = "&".join(f"description={t}" for t in unbound[i:i + 50])
        ports = await bottom.neutron.call("GET", f"/ports?{query}&fields=id&fields=description")
        found.update({p["description"]: p["id"] for p in (ports or {}).get("ports", [])})
    return found


async def _attach(run: _Run, bottom: BottomNetworking, bottom_router: str,
                  top_port: dict[str, Any], copy: tuple[str, dict[str, str]],
                  on_router: dict[tuple[str, str], str], marked: str | None) -> str:
    """The bottom interface of a central router-side port, attached to the bottom
    router. `copy`: the network's bottom copy and its subnets (top -> bottom);
    `on_router`: (bottom subnet, address) -> port of the bottom router;
    `marked`: a port copy the pod already has (a run cut short before attaching).

    Interface ports are not tagged: the routing row is the record, the address
    on the bottom router what a cut-short run finds again."""
    top_id = top_port["id"]
    network, subnets = copy
    wanted = [(subnets.get(ip["subnet_id"], ""), ip["ip_address"])
              for ip in top_port.get("fixed_ips") or []]
    route = await bottom.existing(PORT, top_id)
    if route is not None and route.bottom_id:
        if route.bottom_id in on_router.values():
            return route.bottom_id
        if not _by_subnet(run, top_port) and await _add_interface(
                bottom, bottom_router, {"port_id": route.bottom_id}) is not None:
            return route.bottom_id
        await _forget(bottom, route.bottom_id, PORT)  # gone behind our back: made again
    found = next((on_router[w] for w in wanted if w in on_router), None)
    if found is None and _by_subnet(run, top_port):
        done = await _add_interface(bottom, bottom_router, {"subnet_id": wanted[0][0]})
        if done is None:
            raise bridges.CentralError(f"bottom subnet of {top_id} vanished")
        found = str(done["port_id"])
    elif found is None:
        body = plan.bottom_port_body({**top_port, "port_security_enabled": False}, network,
                                     subnets, {}, run.project_id, router_port=True)
        # a router's port already: a pod takes any address on an IPv6 SLAAC subnet then
        body["port"]["device_owner"] = l3plan.INTERFACE_OWNERS[0]
        found = marked or await create(bottom, "ports", body)
        if await _add_interface(bottom, bottom_router, {"port_id": found}) is None:
            raise bridges.CentralError(f"bottom port {found} of {top_id} vanished")
    await _record(bottom, run.project_id, PORT, top_id, found)
    return found


async def _add_interface(bottom: BottomNetworking, bottom_router: str,
                         info: dict[str, str]) -> dict[str, Any] | None:
    """``add_router_interface`` in the pod; None when the port or subnet is gone."""
    done = await bottom.neutron.call("PUT", f"/routers/{bottom_router}/add_router_interface",
                                     info, missing_ok=True)
    return done if isinstance(done, dict) else None


async def _record(bottom: BottomNetworking, project: str, kind: str, top_id: str,
                  bottom_id: str) -> None:
    """Bind the routing row of a copy (reserved or taken over: only this
    router's job makes its interfaces)."""
    pod = bottom.neutron.pod.id
    async with bottom.db.session() as s:
        try:
            route = await table.reserve(s, top_id=top_id, pod_id=pod,
                                        project_id=project, resource_type=kind)
        except table.RoutingConflict:
            rows = await table.lookup(s, top_id, kind, project_id=None)
            route = next(r for r in rows if r.pod_id == pod)
        await table.bind(s, route.id, bottom_id)


async def copy_network(run: _Run, bottom: BottomNetworking, top_id: str, *,
                       external: bool = False) -> tuple[str, dict[str, str]]:
    """The bottom copy of a top network and its subnets: (network, top -> bottom subnets)."""
    route = await bottom.existing(NETWORK, top_id)
    if route is None or not route.bottom_id:
        top = (await run.central.call("GET", f"/networks/{top_id}"))["network"]
        # the tenant owns its copies (the bridge too); an external network its owner
        owner = top.get("project_id") or run.project_id if external else run.project_id
        body = plan.bottom_network_body(top, owner)
        if external:
            body["network"]["router:external"] = True
        network, _ = await bottom.ensure(NETWORK, top_id, lambda: create(bottom, "networks", body))
    else:
        network = route.bottom_id
    subnets = {}
    known = run.subnets.get(top_id)
    for sub in known if known is not None else \
            await run.central.items("subnets", f"network_id={top_id}"):
        owner = sub.get("project_id") or run.project_id if external else run.project_id
        subnets[sub["id"]] = await _copy_subnet(bottom, sub, network, owner)
    return network, subnets


async def _copy_subnet(bottom: BottomNetworking, top: dict[str, Any], network: str,
                       owner: str) -> str:
    route = await bottom.existing(SUBNET, top["id"])
    if route is not None and route.bottom_id:
        return route.bottom_id
    body = plan.bottom_subnet_body(top, network, owner)
    return (await bottom.ensure(SUBNET, top["id"], lambda: create(bottom, "subnets", body)))[0]


async def _set_gateway(run: _Run, bottom: BottomNetworking, bottom_router: str,
                       observed: dict[str, Any], gateway: l3plan.Gateway) -> None:
    network, subnets = await copy_network(run, bottom, gateway.network_id, external=True)
    wanted = l3plan.gateway_info(gateway, network, subnets)
    if not l3plan.gateway_matches(observed.get("external_gateway_info"), wanted):
        await bottom.neutron.call("PUT", f"/routers/{bottom_router}",
                                  {"router": {"external_gateway_info": wanted}})


async def _detach_others(bottom: BottomNetworking, bottom_router: str, keep: set[str],
                         ports: list[dict[str, Any]] | None = None) -> None:
    """Remove interfaces the plan no longer has (the pod deletes their ports);
    `ports`: the router's ports as listed before (else listed now)."""
    if ports is None:
        found = await bottom.neutron.call("GET", f"/ports?device_id={bottom_router}")
        ports = (found or {}).get("ports", [])

    async def detach(port: str) -> None:  # (gone already: a network clean-up was first)
        await bottom.neutron.call("PUT", f"/routers/{bottom_router}/remove_router_interface",
                                  {"port_id": port}, missing_ok=True)
        await _forget(bottom, port, PORT)

    await _parallel([detach(p["id"]) for p in ports
                     if p.get("device_owner") in l3plan.INTERFACE_OWNERS
                     and p["id"] not in keep])


async def _forget(bottom: BottomNetworking, bottom_id: str, kind: str) -> None:
    async with bottom.db.session() as s:
        route = await table.find_by_bottom(s, bottom_id, kind, bottom.neutron.pod.id)
        if route is not None:
            await table.release(s, route.id, top_id=route.top_id)


# ---- floating IPs (gateway pod only) ----

async def _observed_fips(run: _Run, bottom: BottomNetworking,
                         bottom_router: str) -> dict[str, dict[str, Any]]:
    """The tenant's marked bottom floating IPs on this router or on none (a pod
    disassociates a floating IP whose port it deletes), by top id."""
    found = await bottom.neutron.call("GET", f"/floatingips?project_id={run.project_id}")
    return {f["description"]: f for f in (found or {}).get("floatingips", [])
            if f.get("description") and f.get("router_id") in (bottom_router, None)}


async def _prune_floating(run: _Run, bottom: BottomNetworking, bottom_router: str,
                          want: l3plan.PodRouter) -> dict[str, dict[str, Any]]:
    """Delete the bottom floating IPs the plan does not want (or not as they are);
    the ones kept, by top id. A disassociated one not wanted here goes too: a
    router that wants it makes it again."""
    wanted = {f.id: f for f in want.floating_ips}
    kept = {}
    for marker, fip in (await _observed_fips(run, bottom, bottom_router)).items():
        goal = wanted.get(marker)
        if goal is not None and fip.get("router_id") == bottom_router \
                and fip.get("fixed_ip_address") == goal.fixed_ip:
            kept[marker] = fip
            continue
        await _delete_fip(bottom, fip["id"])
    return kept


async def _delete_fip(bottom: BottomNetworking, bottom_id: str) -> None:
    await bottom.neutron.call("DELETE", f"/floatingips/{bottom_id}", missing_ok=True)
    await _forget(bottom, bottom_id, FLOATINGIP)


async def _floating(run: _Run, bottom: BottomNetworking, bottom_router: str,
                    want: l3plan.PodRouter, kept: dict[str, dict[str, Any]]) -> None:
    shadows = {f.port_id for f in want.shadows}
    for fip in want.floating_ips:
        port = await _nat_target(run, bottom, fip, fip.port_id in shadows)
        have = kept.get(fip.id)
        if have is not None and have.get("port_id") == port:
            continue
        if have is not None:  # another NAT target (the VM moved): made again
            await _delete_fip(bottom, have["id"])
        stale = await bottom.existing(FLOATINGIP, fip.id)
        if stale is not None:  # its copy is gone (or was just deleted)
            async with bottom.db.session() as s:
                await table.release(s, stale.id, top_id=stale.top_id)
        gateway = await bottom.existing(NETWORK, want.gateway.network_id) \
            if want.gateway else None
        body = l3plan.floating_ip_body(fip, (gateway.bottom_id or "") if gateway else "",
                                       port, bottom_router, run.project_id)
        await bottom.ensure(FLOATINGIP, fip.id, functools.partial(
            create, bottom, "floatingips", body), adopt=False)
    await _drop_shadows(run, bottom, shadows)


async def _nat_target(run: _Run, bottom: BottomNetworking, fip: l3plan.FloatingIp,
                      shadow: bool) -> str:
    if not shadow:
        route = await bottom.existing(PORT, fip.port_id)
        if route is None or not route.bottom_id:
            raise bridges.CentralError(f"port {fip.port_id} has no copy in the gateway pod")
        return route.bottom_id
    top = (await run.central.call("GET", f"/ports/{fip.port_id}"))["port"]
    network, subnets = await copy_network(run, bottom, top["network_id"])
    body = l3plan.shadow_port_body(top, network, subnets, run.project_id)
    marker = l3plan.shadow_marker(fip.port_id)
    return (await bottom.ensure(SHADOW_PORT, marker, lambda: create(bottom, "ports", body)))[0]


async def _drop_shadows(run: _Run, bottom: BottomNetworking, keep: set[str]) -> None:
    """Remove the tenant's shadow ports in this pod that no floating IP needs:
    not this router's (`keep`) and not another router's per central Neutron."""
    async with bottom.db.session() as s:
        rows = await table.list_routes(s, project_id=run.project_id,
                                       resource_type=SHADOW_PORT, pod_id=bottom.neutron.pod.id)
    for route in rows:
        port = route.top_id.removeprefix("shadow:")
        if port in keep:
            continue
        fips = await run.central.items("floatingips", f"port_id={port}&fields=router_id")
        if any(f.get("router_id") not in (None, run.router_id) for f in fips):
            continue  # another router's floating IP uses it
        await bottom.remove(SHADOW_PORT, route.top_id)


# ---- pods the router left, or a router gone ----

async def _teardown(run: _Run, keep: Iterable[str]) -> None:
    """Remove the bottom routers of pods not in `keep` (all when the top router is gone)."""
    async with run.deps.db.session() as s:
        rows = await table.lookup(s, run.router_id, ROUTER, project_id=None)
    for route in rows:
        if route.pod_id in keep:
            continue
        bottom = await run.bottom(route.pod_id)
        if route.bottom_id:
            await _empty_router(run, bottom, route.bottom_id)
        await bottom.remove(ROUTER, run.router_id)
        LOG.info("router %s removed from %s", run.router_id, route.region_name)


async def _empty_router(run: _Run, bottom: BottomNetworking, bottom_router: str) -> None:
    """Floating IPs, shadow ports, routes, gateway and interfaces off a bottom router."""
    neutron = bottom.neutron
    if await neutron.call("GET", f"/routers/{bottom_router}", missing_ok=True) is None:
        return
    for fip in (await _observed_fips(run, bottom, bottom_router)).values():
        await _delete_fip(bottom, fip["id"])
    await _drop_shadows(run, bottom, set())
    await neutron.call("PUT", f"/routers/{bottom_router}",
                       {"router": {"routes": [], "external_gateway_info": {}}})
    await _detach_others(bottom, bottom_router, set())


async def detach_stale(bottom: BottomNetworking, port: dict[str, Any]) -> bool:
    """For the clean-up of a network deleted at the top: take a router-owned
    port off its bottom router (interface removed, gateway cleared, floating IP
    deleted) rather than waiting for the router job; True if it was one."""
    owner, device = port.get("device_owner") or "", port.get("device_id") or ""
    neutron = bottom.neutron
    if owner in l3plan.INTERFACE_OWNERS and device:
        await neutron.call("PUT", f"/routers/{device}/remove_router_interface",
                           {"port_id": port["id"]}, missing_ok=True)
        await _forget(bottom, port["id"], PORT)
    elif owner == "network:router_gateway" and device:
        found = await neutron.call("GET", f"/floatingips?router_id={device}&fields=id")
        for fip in (found or {}).get("floatingips", []):
            await _delete_fip(bottom, fip["id"])
        await neutron.call("PUT", f"/routers/{device}",
                           {"router": {"external_gateway_info": {}}}, missing_ok=True)
    elif owner == "network:floatingip" and device:
        await _delete_fip(bottom, device)
    elif (port.get("description") or "").startswith("shadow:"):
        await bottom.remove(SHADOW_PORT, port["description"])
    else:
        return False
    return True

