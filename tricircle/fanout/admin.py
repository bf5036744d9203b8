"""Admin listings aggregated across pods: hypervisors, services, aggregates,
hosts (os-hosts, before 2.43), simple tenant usage.

Every pod in service is asked the same call (the caller's token: each pod
enforces its own admin policy) in parallel with the list deadline; answers are
concatenated in region order, with names and ids that collide across pods
translated (`tricircle.fanout.names`), pod AZ names shown as top AZs, and usage
summed per tenant. A pod's 4xx is passed back as is; pods down are left out and
named in `missing`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tricircle import faults
from tricircle.clients.pod import PodClients, PodResponse
from tricircle.db.engine import Database
from tricircle.fanout import names
from tricircle.fanout.gather import gather
from tricircle.pods import registry
from tricircle.pods.registry import PodInfo

IN_SERVICE = ("enabled", "draining")
USAGE_TOTALS = ("total_local_gb_usage", "total_vcpus_usage", "total_memory_mb_usage",
                "total_hours")
STATISTICS = ("count", "vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used",
              "local_gb_used", "free_ram_mb", "free_disk_gb", "current_workload",
              "running_vms", "disk_available_least")


@dataclass(slots=True)
class PodAnswer:
    pod: PodInfo
    slot: int
    response: PodResponse


@dataclass(slots=True)
class Gathered:
    """The pods' answers to one call (200s only), or the first pod's refusal."""

    answers: list[PodAnswer] = field(default_factory=list)
    refused: PodResponse | None = None
    missing: list[str] = field(default_factory=list)
    in_service: int = 0

    def docs(self) -> list[tuple[PodAnswer, dict[str, Any]]]:
        return [(a, a.response.json() or {}) for a in self.answers]


@dataclass(slots=True)
class Result:
    """What the handler answers: a body built by the gateway, or a pod's answer."""

    body: dict[str, Any] | None = None
    passthrough: PodResponse | None = None
    headers: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


class AdminLister:
    def __init__(self, db: Database, pods: PodClients, *, deadline: float) -> None:
        self._db, self._pods, self._deadline = db, pods, deadline

    async def pods(self) -> tuple[list[PodInfo], dict[str, int]]:
        async with self._db.session() as s:
            every = await registry.list_pods(s)
        return [p for p in every if p.state in IN_SERVICE], names.slots(every)

    async def gather(self, path: str, headers: Mapping[str, str], *,
                     only: str | None = None) -> Gathered:
        """GET `path` (relative to the compute endpoint) in every pod in service,
        or only in region `only`."""
        every_in_service, slots = await self.pods()
        pods = [p for p in every_in_service if only is None or p.region_name == only]

        async def call(region: str) -> PodResponse:
            client = await self._pods.get(region)
            return await client.request("compute", "GET", path, headers=headers,
                                        timeout=self._deadline)

        results = await gather([p.region_name for p in pods], call, deadline=self._deadline)
        out = Gathered(in_service=len(every_in_service))
        for pod, result in zip(pods, results, strict=True):
            resp = result.value
            if not result.ok or resp is None or resp.status >= 500:
                out.missing.append(pod.region_name)
            elif resp.status != 200:
                out.refused = out.refused or resp
            else:
                out.answers.append(PodAnswer(pod, slots.get(pod.region_name, 0), resp))
        return out

    async def regions(self) -> list[str]:
        return [p.region_name for p in (await self.pods())[0]]


# ---- shaping one collection ------------------------------------------------------
Transform = Callable[[dict[str, Any], PodAnswer, names.Qualifier], dict[str, Any]]


def collect(gathered: Gathered, key: str, transform: Transform) -> Result:
    """Concatenate collection `key` of every answer in region order, each item
    transformed."""
    if (refused := _refused(gathered)) is not None:
        return refused
    docs = gathered.docs()
    qualify = names.Qualifier(gathered.in_service)
    items = [transform(dict(item), a, qualify) for a, doc in docs for item in doc.get(key, [])]
    return Result(body={key: items}, headers=version_headers(gathered),
                  missing=gathered.missing)


def _refused(gathered: Gathered) -> Result | None:
    """A pod's refusal to pass back; raises faults.PodUnavailable (503) when no
    pod answered at all (an empty listing would claim there is nothing)."""
    if gathered.refused is not None:
        return Result(passthrough=gathered.refused)
    if not gathered.answers and gathered.missing:
        raise faults.PodUnavailable(pod=", ".join(gathered.missing))
    return None


def version_headers(gathered: Gathered) -> dict[str, str]:
    for answer in gathered.answers:
        found = {h: answer.response.headers[h] for h in
                 ("OpenStack-API-Version", "X-OpenStack-Nova-API-Version", "Vary")
                 if h in answer.response.headers}
        if found:
            return found
    return {}


def top_az(pod: PodInfo, value: Any) -> Any:
    if value and pod.az_name and (not pod.pod_az_name or value == pod.pod_az_name):
        return pod.az_name
    return value


def hypervisor(item: dict[str, Any], a: PodAnswer, qualify: names.Qualifier
               ) -> dict[str, Any]:
    region = a.pod.region_name
    item["id"] = names.translate_id(item.get("id"), a.slot)
    if "hypervisor_hostname" in item:
        item["hypervisor_hostname"] = qualify(region, item["hypervisor_hostname"])
    service = item.get("service")
    if isinstance(service, dict):
        service = dict(service)
        service["id"] = names.translate_id(service.get("id"), a.slot)
        service["host"] = qualify(region, service.get("host"))
        item["service"] = service
    return item


def service(item: dict[str, Any], a: PodAnswer, qualify: names.Qualifier) -> dict[str, Any]:
    item["id"] = names.translate_id(item.get("id"), a.slot)
    item["host"] = qualify(a.pod.region_name, item.get("host"))
    if "zone" in item:
        item["zone"] = top_az(a.pod, item["zone"])
    return item


def aggregate(item: dict[str, Any], a: PodAnswer, qualify: names.Qualifier
              ) -> dict[str, Any]:
    region = a.pod.region_name
    item["id"] = names.translate_id(item.get("id"), a.slot)
    # names stay as given: the (pod-encoded) id identifies an aggregate
    item["hosts"] = [qualify(region, h) for h in item.get("hosts") or []]
    if "availability_zone" in item:
        item["availability_zone"] = top_az(a.pod, item["availability_zone"])
    metadata = item.get("metadata")
    if isinstance(metadata, dict) and "availability_zone" in metadata:
        item["metadata"] = {**metadata,
                            "availability_zone": top_az(a.pod, metadata["availability_zone"])}
    return item


def host(item: dict[str, Any], a: PodAnswer, qualify: names.Qualifier) -> dict[str, Any]:
    """An os-hosts entry: its name qualified, its zone shown as the top AZ."""
    item["host_name"] = qualify(a.pod.region_name, item.get("host_name"))
    if "zone" in item:
        item["zone"] = top_az(a.pod, item["zone"])
    return item


def host_answer(doc: dict[str, Any], region: str, qualify: names.Qualifier) -> dict[str, Any]:
    """An answer about one host (show: a list of resources; update, power
    action: its name) with the host named as in the listing."""
    value = doc.get("host")
    if isinstance(value, str):
        doc["host"] = qualify(region, value)
    elif isinstance(value, list):
        for entry in value:
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(resource, dict) and isinstance(resource.get("host"), str):
                resource["host"] = qualify(region, resource["host"])
    return doc


def aggregate_request(doc: dict[str, Any], pod: PodInfo) -> dict[str, Any]:
    """An aggregate call's body as `pod` must see it: a host named
    "<host>@<region>" bare, a top AZ as the pod's own AZ name."""
    for action in ("add_host", "remove_host"):
        member = doc.get(action)
        if isinstance(member, dict) and isinstance(member.get("host"), str):
            region, bare = names.split(member["host"], [pod.region_name])
            member["host"] = bare if region == pod.region_name else member["host"]
    for holder in (doc.get("aggregate"), (doc.get("set_metadata") or {}).get("metadata")):
        if isinstance(holder, dict) and holder.get("availability_zone") == pod.az_name \
                and pod.pod_az_name:
            holder["availability_zone"] = pod.pod_az_name
    return doc


# ---- sums ---------------------------------------------------------------------------
def statistics(gathered: Gathered) -> Result:
    """GET /os-hypervisors/statistics: every counter summed over the pods."""
    if (refused := _refused(gathered)) is not None:
        return refused
    total: dict[str, Any] = {}
    for _a, doc in gathered.docs():
        for key, value in (doc.get("hypervisor_statistics") or {}).items():
            if key in STATISTICS and isinstance(value, int | float):
                total[key] = total.get(key, 0) + value
    return Result(body={"hypervisor_statistics": total}, headers=version_headers(gathered),
                  missing=gathered.missing)


def tenant_usages(gathered: Gathered, *, single: bool) -> Result:
    """os-simple-tenant-usage: one entry per tenant, totals summed over pods,
    server usages concatenated (their AZ shown as the top AZ)."""
    if (refused := _refused(gathered)) is not None:
        return refused
    merged: dict[str, dict[str, Any]] = {}
    for a, doc in gathered.docs():
        usages = [doc["tenant_usage"]] if single and doc.get("tenant_usage") else \
            doc.get("tenant_usages", [])
        for usage in usages:
            _add_usage(merged, usage, a.pod)
    if single:
        body: dict[str, Any] = {"tenant_usage": next(iter(merged.values()), {})}
    else:
        body = {"tenant_usages": list(merged.values())}
    return Result(body=body, headers=version_headers(gathered), missing=gathered.missing)


def _add_usage(merged: dict[str, dict[str, Any]], usage: dict[str, Any], pod: PodInfo) -> None:
    servers = [{**s, "availability_zone": top_az(pod, s.get("availability_zone"))}
               if "availability_zone" in s else s for s in usage.get("server_usages", [])]
    tenant = str(usage.get("tenant_id"))
    into = merged.get(tenant)
    if into is None:
        merged[tenant] = {**usage, **({"server_usages": servers} if "server_usages" in usage
                                      else {})}
        return
    for key in USAGE_TOTALS:
        if key in usage:
            into[key] = into.get(key, 0) + usage[key]
    if "server_usages" in usage:
        into["server_usages"] = [*into.get("server_usages", []), *servers]
