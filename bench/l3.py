"""Cross-pod L3 against the real lab: router convergence and boot overhead.

`run_router`: a demo router with `subnets` interfaces (default 50) over RegionOne and
RegionTwo (half the networks copied to each pod, as boots there would) and a gateway
on an external network in RegionTwo. The real job handler (`networking.router_setup`,
its engine, database, pod clients and service account, in this process) realises it;
the time from enqueue to success is the convergence time (target < 30 s). Also a
second run with nothing to change, and the removal after the router is deleted at
the top. Every bottom router is checked (interfaces, routes) before the figures count.

`run_boot`: the real gateway (`tricircle api`, central Neutron configured, RegionOne
as its pod) boots a server on a top network, against Nova of RegionOne booting on a
network of its own (Nova makes the port): POST latency and time to ACTIVE, samples
alternated, one server at a time (the demo quota is shared). The gateway's first boot
on a network new to the pod is reported apart (it copies the network and subnet).
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from bench import gateway, lab, procs
from bench.report import Row, verdict

R1, R2 = "RegionOne", "RegionTwo"
TARGET_CONVERGE = 30.0
TARGET_BOOT = 1.3
_PARALLEL = 8


def _conf_file(workdir: Path, info: dict[str, Any], db: Path, port: int = 0) -> Path:
    path = workdir / "l3.conf"
    networking = f"[networking]\ncentral_neutron_url = {info['central_neutron']}\n"
    gateway.write_config(path, port=port or procs.free_port(), db=db,
                         keystone_url=info["auth_url"], sections=networking)
    path.write_text(path.read_text().replace(
        "password = unused\n",
        f"username = tricircle\npassword = {info.get('password', 'labpass')}\n"
        "project_name = service\nuser_domain_name = Default\nproject_domain_name = Default\n"))
    return path


async def _prepare_db(conf: Any, info: dict[str, Any], regions: tuple[str, ...]) -> None:
    from tricircle.db import migrate
    from tricircle.db.engine import Database
    from tricircle.pods import registry

    await migrate.upgrade(conf.database.connection)
    db = Database(conf.database.connection)
    try:
        async with db.session() as s:
            for i, region in enumerate(regions):
                pod_az = info["regions"][region].get("availability_zone", "")
                await registry.create_pod(s, region_name=region, az_name=f"az{i + 1}",
                                          pod_az_name=pod_az)
    finally:
        await db.close()


async def _gather(calls: list[Any]) -> list[Any]:
    limit = asyncio.Semaphore(_PARALLEL)

    async def one(call: Any) -> Any:
        async with limit:
            return await call

    return list(await asyncio.gather(*(one(c) for c in calls)))


# ---- router convergence ----

class _Router:
    """The benchmark's top objects in central Neutron (made and removed as admin)."""

    def __init__(self, central: Any, project: str, subnets: int) -> None:
        self.central, self.project, self.count = central, project, subnets
        self.tag = uuid.uuid4().hex[:6]
        self.ext: dict[str, Any] = {}
        self.router: dict[str, Any] = {}
        self.networks: list[str] = []

    async def make(self) -> None:
        c = self.central
        self.ext = (await c.call("POST", "/networks", {"network": {
            "name": f"bench-l3-ext-{self.tag}", "router:external": True,
            "provider:network_type": "vlan", "provider:physical_network": "physnet2"}}))["network"]
        await c.call("PUT", f"/networks/{self.ext['id']}/tags/{R2}")
        await c.call("POST", "/subnets", {"subnet": {
            "network_id": self.ext["id"], "cidr": "198.51.100.0/24", "ip_version": 4,
            "enable_dhcp": False}})
        self.router = (await c.call("POST", "/routers", {"router": {
            "name": f"bench-l3-{self.tag}", "tenant_id": self.project,
            "external_gateway_info": {"network_id": self.ext["id"]}}}))["router"]
        self.networks = await _gather([self._network(i) for i in range(self.count)])

    async def _network(self, i: int) -> str:
        c = self.central
        net = (await c.call("POST", "/networks", {"network": {
            "name": f"bench-l3-{self.tag}-{i}", "tenant_id": self.project}}))["network"]
        cidr = str(list(ipaddress.ip_network("10.128.0.0/16").subnets(new_prefix=24))[i])
        sub = (await c.call("POST", "/subnets", {"subnet": {
            "network_id": net["id"], "cidr": cidr, "ip_version": 4, "enable_dhcp": False,
            "tenant_id": self.project}}))["subnet"]
        await c.call("PUT", f"/routers/{self.router['id']}/add_router_interface",
                     {"subnet_id": sub["id"]})
        return str(net["id"])

    async def remove(self) -> None:
        c = self.central
        if self.router:
            ports = await c.items("ports", f"device_id={self.router['id']}")
            await _gather([c.call("PUT", f"/routers/{self.router['id']}/remove_router_interface",
                                  {"port_id": p["id"]}, missing_ok=True)
                           for p in ports if p["device_owner"] == "network:router_interface"])
            await c.call("DELETE", f"/routers/{self.router['id']}", missing_ok=True)

    async def remove_networks(self) -> list[str]:
        """Delete the networks; the ones central refused (an external network is
        visible to every project: another test's router may use it meanwhile)."""
        async def delete(net: str) -> str | None:
            for _ in range(10):
                try:
                    await self.central.call("DELETE", f"/networks/{net}", missing_ok=True)
                    return None
                except RuntimeError:
                    await asyncio.sleep(3)
            return net

        left = await _gather([delete(n) for n in [*self.networks, self.ext.get("id")] if n])
        return [n for n in left if n]


async def _run_jobs(engine: Any, deps: Any, job_type: str, keys: list[str],
                    project: str) -> float:
    from tricircle.jobs import api as jobs

    t0 = time.perf_counter()
    async with deps.db.session() as s:
        for key in keys:
            await jobs.enqueue(s, job_type, key, project_id=project)
    await engine.run_until_idle()
    elapsed = time.perf_counter() - t0
    async with deps.db.session() as s:
        for key in keys:
            [job] = await jobs.list_jobs(s, job_type=job_type, resource_key=key, limit=1)
            if job.status != "succeeded":
                raise RuntimeError(f"{job_type}[{key}] {job.status}: {job.last_error}")
    return elapsed


async def _check(deps: Any, pods: dict[str, Any], router: str, count: int) -> str:
    """The bottom routers as planned: half the interfaces each, a bridge address,
    a route per remote subnet (and RegionOne's default route to the gateway pod)."""
    token = await deps.service_auth.token()
    found = []
    for region in pods:
        client = await deps.pods.get(region)
        resp = await client.request("network", "GET", f"/v2.0/routers?tags={router}",
                                    headers={"X-Auth-Token": token})
        [bottom] = resp.json()["routers"]
        resp = await client.request("network", "GET", f"/v2.0/ports?device_id={bottom['id']}",
                                    headers={"X-Auth-Token": token})
        itfs = [p for p in resp.json()["ports"] if p["device_owner"] == "network:router_interface"]
        wanted_routes = count // 2 + (1 if region == R1 else 0)
        if len(itfs) != count // 2 + 1 or len(bottom["routes"]) != wanted_routes:
            raise RuntimeError(f"{region}: {len(itfs)} interfaces, {len(bottom['routes'])} "
                               f"routes; wanted {count // 2 + 1}, {wanted_routes}")
        found.append(f"{region}: {len(itfs)} interfaces, {len(bottom['routes'])} routes")
    return "; ".join(found)


async def _router_bench(workdir: Path, info: dict[str, Any], subnets: int
                        ) -> tuple[dict[str, float], str]:
    from tricircle import conf as tconf
    from tricircle.clients.pod import PodClients
    from tricircle.db.engine import Database
    from tricircle.identity.service_auth import ServiceAuth
    from tricircle.jobs.engine import JobEngine
    from tricircle.jobs.handlers import JobDeps
    from tricircle.networking import bridge, routers
    from tricircle.networking.central import CentralNeutron
    from tricircle.networking.cleanup import NETWORK_CLEANUP
    from tricircle.pods import registry

    conf = tconf.new_config([], config_files=[str(_conf_file(workdir, info,
                                                             workdir / "l3.db"))])
    await _prepare_db(conf, info, (R1, R2))
    auth = ServiceAuth(conf)
    clients = PodClients(auth)
    db = Database(conf.database.connection)
    deps = JobDeps(db, clients, auth, conf)
    engine = JobEngine(deps)
    central = bridge.AdminCentral(CentralNeutron(conf, clients), await auth.token())
    project = info["projects"]["demo"]
    top = _Router(central, project, subnets)
    times: dict[str, float] = {}
    checked, left = "", []
    try:
        t0 = time.perf_counter()
        await top.make()
        async with db.session() as s:
            pods = {p.region_name: p for p in await registry.list_pods(s)}
        await _gather([routers.copy_network_to(deps, pods[R1 if i % 2 == 0 else R2], net,
                                               project)
                       for i, net in enumerate(top.networks)])
        times["setup"] = time.perf_counter() - t0
        router = top.router["id"]
        times["load before"] = os.getloadavg()[0]
        times["converge"] = await _run_jobs(engine, deps, routers.ROUTER_SETUP, [router],
                                            project)
        times["load after"] = os.getloadavg()[0]
        checked = await _check(deps, pods, router, subnets)
        times["rerun"] = await _run_jobs(engine, deps, routers.ROUTER_SETUP, [router], project)
        await top.remove()
        times["remove"] = await _run_jobs(engine, deps, routers.ROUTER_SETUP, [router], project)
    finally:
        await top.remove()
        left = await top.remove_networks()
        gone = [n for n in [*top.networks, top.ext.get("id", "")] if n and n not in left]
        await _run_jobs(engine, deps, NETWORK_CLEANUP, gone, project)
        await clients.close()
        await db.close()
    if left:
        checked += f"; not deleted (in use by others): {', '.join(left)}"
    return times, checked


def run_router(workdir: Path, *, subnets: int = 50) -> tuple[list[Row], list[str]]:
    info = lab.lab_info()
    if info is None:
        return [Row("l3", "(not run)", "lab not built", verdict="n/a")], []
    times, checked = asyncio.run(_router_bench(workdir, info, subnets))
    return [
        Row("l3", f"router with {subnets} subnets over 2 pods (+ gateway): converge",
            f"{times['converge']:.1f} s (setup of the top objects and copies "
            f"{times['setup']:.0f} s, not counted)", "", f"< {TARGET_CONVERGE:.0f} s",
            verdict(times["converge"] < TARGET_CONVERGE), raw=times),
        Row("l3", "same router, second run (nothing to change)", f"{times['rerun']:.1f} s",
            verdict="info"),
        Row("l3", "same router deleted at the top: removed from both pods",
            f"{times['remove']:.1f} s", verdict="info"),
    ], [f"bottom routers checked: {checked}",
        f"load average (1 min) before / after converging: {times['load before']:.1f} / "
        f"{times['load after']:.1f}"]


# ---- boot through the gateway vs direct ----

async def _wait_active(http: aiohttp.ClientSession, url: str, token: str) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 180:
        async with http.get(url, headers={"X-Auth-Token": token}) as r:
            status = (await r.json())["server"]["status"] if r.status == 200 else "?"
        if status == "ACTIVE":
            return time.perf_counter() - t0
        if status == "ERROR":
            raise RuntimeError(f"{url}: ERROR")
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{url}: not ACTIVE in 180 s")


async def _boot(http: aiohttp.ClientSession, compute: str, token: str, info: dict[str, Any],
                network: str, az: str | None) -> tuple[float, float, str]:
    """(POST seconds, POST to ACTIVE seconds, server id); deleted before returning."""
    body: dict[str, Any] = {"server": {
        "name": f"bench-l3-{uuid.uuid4().hex[:8]}", "flavorRef": info["flavor_id"],
        "imageRef": info["image_id"], "networks": [{"uuid": network}]}}
    if az:
        body["server"]["availability_zone"] = az
    headers = {"X-Auth-Token": token}
    t0 = time.perf_counter()
    async with http.post(compute + "/servers", json=body, headers=headers) as r:
        if r.status != 202:
            raise RuntimeError(f"boot via {compute}: {r.status} {await r.text()}")
        sid = (await r.json())["server"]["id"]
    posted = time.perf_counter() - t0
    active = posted + await _wait_active(http, f"{compute}/servers/{sid}", token)
    async with http.delete(f"{compute}/servers/{sid}", headers=headers):
        pass
    for _ in range(300):
        async with http.get(f"{compute}/servers/{sid}", headers=headers) as r:
            if r.status == 404:
                break
        await asyncio.sleep(0.2)
    return posted, active, sid


async def _boot_bench(workdir: Path, info: dict[str, Any], samples: int
                      ) -> dict[str, list[float]]:
    port = procs.free_port()
    conf_path = _conf_file(workdir, info, workdir / "boot.db", port)
    from tricircle import conf as tconf

    conf = tconf.new_config([], config_files=[str(conf_path)])
    await _prepare_db(conf, info, (R1,))
    argv = [procs.PY, "-m", "tricircle.cmd.main", "--config-file", str(conf_path), "api"]
    proc = procs.start("gw-l3", argv, core=procs.PROXY_CORE, workdir=workdir)
    base = f"http://127.0.0.1:{port}"
    procs.wait_http(proc, base + "/", timeout=120)
    nova, neutron = info["regions"][R1]["compute"], info["regions"][R1]["network"]
    times: dict[str, list[float]] = {k: [] for k in (
        "gateway post", "gateway active", "direct post", "direct active")}
    async with aiohttp.ClientSession() as http:
        token = await lab._token(http, info, "demo", "demo")
        headers = {"X-Auth-Token": token}
        made: list[tuple[str, str]] = []
        try:
            for root, key in ((base + "/network", "top"), (neutron, "pod")):
                async with http.post(root + "/v2.0/networks", headers=headers, json={
                        "network": {"name": f"bench-l3-{key}"}}) as r:
                    net = (await r.json())["network"]["id"]
                made.append((root, net))
                async with http.post(root + "/v2.0/subnets", headers=headers, json={"subnet": {
                        "network_id": net, "cidr": "10.77.0.0/24", "ip_version": 4}}) as r:
                    if r.status != 201:
                        raise RuntimeError(f"subnet: {r.status} {await r.text()}")
            (_, top), (_, local) = made
            compute = base + "/compute/v2.1"
            first = await _boot(http, compute, token, info, top, "az1")
            times["gateway first post"], times["gateway first active"] = [first[0]], [first[1]]
            for _ in range(samples):
                for where in ("gateway", "direct"):
                    post, active, _sid = await _boot(
                        http, compute if where == "gateway" else nova, token, info,
                        top if where == "gateway" else local, "az1" if where == "gateway"
                        else None)
                    times[f"{where} post"].append(post)
                    times[f"{where} active"].append(active)
        finally:
            for root, net in made:
                for _ in range(60):   # the gateway releases its ports in a job
                    async with http.delete(f"{root}/v2.0/networks/{net}", headers=headers) as r:
                        if r.status in (204, 404):
                            break
                    await asyncio.sleep(1)
            proc.stop()
    return times


def run_boot(workdir: Path, *, samples: int = 4) -> tuple[list[Row], list[str]]:
    info = lab.lab_info()
    if info is None:
        return [Row("l3", "(not run)", "lab not built", verdict="n/a")], []
    times = asyncio.run(_boot_bench(workdir, info, samples))
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["gateway active"] / med["direct active"]
    return [
        Row("boot", f"POST to ACTIVE, {samples} alternated boots each, network in the pod",
            f"gateway {med['gateway active']:.2f} s, direct {med['direct active']:.2f} s "
            f"(POST alone: gateway {med['gateway post'] * 1000:.0f} ms, direct "
            f"{med['direct post'] * 1000:.0f} ms)", f"{ratio:.2f}x", f"≤ {TARGET_BOOT}x",
            verdict(ratio <= TARGET_BOOT), raw=times),
        Row("boot", "gateway, first boot on a network new to the pod",
            f"POST {med['gateway first post'] * 1000:.0f} ms, ACTIVE after "
            f"{med['gateway first active']:.2f} s", verdict="info"),
    ], ["direct = Nova of RegionOne booting on a RegionOne network (Nova makes the port); "
        "gateway = the same pod through the gateway on a top network (central port, bottom "
        "port with central's IP and MAC)"]


def run(workdir: Path, *, subnets: int = 50, samples: int = 4) -> tuple[list[Row], list[str]]:
    rows, notes = run_router(workdir, subnets=subnets)
    more, more_notes = run_boot(workdir, samples=samples)
    return rows + more, notes + more_notes
