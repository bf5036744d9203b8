"""Availability zones as users see them: the top AZs of the pod registry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tricircle.clients.pod import PodClients, PodResponse
from tricircle.db.engine import Database
from tricircle.fanout.gather import gather
from tricircle.fanout.names import Qualifier
from tricircle.pods import registry
from tricircle.pods.registry import PodInfo

INTERNAL = "internal"
IN_SERVICE = ("enabled", "draining")


def _available(pod: PodInfo) -> bool:
    return pod.state == "enabled" and pod.health != "unhealthy"


async def _pods(db: Database) -> list[PodInfo]:
    async with db.session() as s:
        return [p for p in await registry.list_pods(s) if p.state in IN_SERVICE and p.az_name]


def _zones(pods: list[PodInfo]) -> dict[str, list[PodInfo]]:
    out: dict[str, list[PodInfo]] = {}
    for pod in pods:
        out.setdefault(pod.az_name, []).append(pod)
    return dict(sorted(out.items()))


async def summary(db: Database) -> list[dict[str, Any]]:
    """Nova's index entries for every top AZ: available while one of its pods is."""
    return [{"zoneName": name, "zoneState": {"available": any(map(_available, members))},
             "hosts": None} for name, members in _zones(await _pods(db)).items()]


@dataclass(slots=True)
class ZoneDetail:
    zones: list[dict[str, Any]] = field(default_factory=list)
    refused: PodResponse | None = None   # a pod's 4xx (e.g. policy), passed back as is


async def detail(db: Database, pods: PodClients, headers: Mapping[str, str], *,
                 deadline: float) -> ZoneDetail:
    """Top AZs with their pods' hosts and services (pods that do not answer in
    time contribute no hosts; their AZ shows as unavailable if none answered)."""
    members = await _pods(db)

    async def call(region: str) -> PodResponse:
        client = await pods.get(region)
        return await client.request("compute", "GET", "/os-availability-zone/detail",
                                    headers=headers, timeout=deadline)

    results = await gather([p.region_name for p in members], call, deadline=deadline)
    answers = {r.pod: r.value for r in results if r.ok and r.value is not None}
    refused = next((a for a in answers.values() if 400 <= a.status < 500), None)
    if refused is not None:
        return ZoneDetail(refused=refused)
    docs = {region: a.json().get("availabilityZoneInfo", []) for region, a in answers.items()
            if a.status == 200}
    return ZoneDetail(zones=_merge(members, docs))


def _merge(members: list[PodInfo], docs: dict[str, list[dict[str, Any]]]
           ) -> list[dict[str, Any]]:
    qualify = Qualifier(len(members))
    out = []
    for name, pods in _zones(members).items():
        hosts: dict[str, Any] = {}
        for pod in pods:
            for zone in docs.get(pod.region_name, []):
                if zone.get("zoneName") != INTERNAL and (
                        not pod.pod_az_name or zone.get("zoneName") == pod.pod_az_name):
                    hosts.update(_hosts(qualify, pod.region_name, zone))
        available = any(_available(p) and p.region_name in docs for p in pods)
        out.append({"zoneName": name, "zoneState": {"available": available},
                    "hosts": hosts or None})
    internal: dict[str, Any] = {}
    for region, zones in docs.items():
        for zone in zones:
            if zone.get("zoneName") == INTERNAL:
                internal.update(_hosts(qualify, region, zone))
    if internal:
        out.insert(0, {"zoneName": INTERNAL, "zoneState": {"available": True},
                       "hosts": internal})
    return out


def _hosts(qualify: Qualifier, region: str, zone: dict[str, Any]) -> dict[str, Any]:
    return {qualify(region, host) or host: services
            for host, services in (zone.get("hosts") or {}).items()}
