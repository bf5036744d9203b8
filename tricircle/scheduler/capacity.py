"""Free capacity of a pod for a flavor, read from the pod's Placement API; for a
volume, from the pod's Cinder pools.

`GET /allocation_candidates?resources=VCPU:n,MEMORY_MB:m,DISK_GB:d` at
``placement 1.36`` with the service token: the number of allocation requests
says whether the pod can host the flavor at all, the provider summaries how
much is left (capacity already includes allocation ratios and reserved).

Volumes (resource class `VOLUME_GB`): `GET /scheduler-stats/get_pools?detail=true`
(admin, service token): the pools whose free capacity holds the volume are its
candidates; the free capacity of all pools is what is left ("infinite" or
"unknown" pools count as candidates with no known amount).
"""

from __future__ import annotations

import math
from typing import Any

from tricircle.clients.pod import PodClient, PodRequestError
from tricircle.scheduler.spec import PodCapacity

PLACEMENT_VERSION = "placement 1.36"


class CapacityUnknown(Exception):
    """Placement did not give a usable answer (the caller treats capacity as unknown)."""


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def flavor_resources(flavor: dict[str, Any], *, boot_from_volume: bool = False
                     ) -> dict[str, int]:
    """Placement amounts a flavor asks for (zero amounts left out, as Placement
    rejects them). Root disk is not counted when booting from a volume."""
    disk = 0 if boot_from_volume else _int(flavor.get("disk"))
    disk += _int(flavor.get("OS-FLV-EXT-DATA:ephemeral"))
    disk += math.ceil(_int(flavor.get("swap")) / 1024)
    amounts = {"VCPU": _int(flavor.get("vcpus")), "MEMORY_MB": _int(flavor.get("ram")),
               "DISK_GB": disk}
    return {rc: n for rc, n in amounts.items() if n > 0}


def parse_candidates(body: Any) -> PodCapacity:
    """PodCapacity from an allocation candidates body. Raises CapacityUnknown."""
    if not isinstance(body, dict) or not isinstance(body.get("provider_summaries"), dict):
        raise CapacityUnknown("no provider_summaries in the answer")
    free: dict[str, int] = {}
    for summary in body["provider_summaries"].values():
        for rc, amounts in (summary.get("resources") or {}).items():
            left = _int(amounts.get("capacity")) - _int(amounts.get("used"))
            free[rc] = free.get(rc, 0) + max(left, 0)
    return PodCapacity(candidates=len(body.get("allocation_requests") or []), free=free)


def candidates_query(resources: dict[str, int]) -> str:
    return ",".join(f"{rc}:{n}" for rc, n in sorted(resources.items()))


async def read_capacity(client: PodClient, token: str, resources: dict[str, int], *,
                        timeout: float) -> PodCapacity:
    """Ask one pod's Placement. Raises CapacityUnknown on any failure."""
    if not resources:
        raise CapacityUnknown("no resources to ask for")
    headers = {"X-Auth-Token": token, "OpenStack-API-Version": PLACEMENT_VERSION,
               "Accept": "application/json"}
    try:
        resp = await client.request("placement", "GET", "/allocation_candidates",
                                    headers=headers,
                                    params={"resources": candidates_query(resources)},
                                    timeout=timeout)
    except PodRequestError as exc:
        raise CapacityUnknown(str(exc)) from exc
    if resp.status != 200:
        raise CapacityUnknown(f"{client.region} placement answered {resp.status}")
    try:
        return parse_candidates(resp.json())
    except ValueError as exc:
        raise CapacityUnknown(f"{client.region} placement sent invalid JSON") from exc


VOLUME_GB = "VOLUME_GB"


def parse_pools(body: Any, size_gb: int) -> PodCapacity:
    """PodCapacity for a volume of `size_gb` from a get_pools body. Raises CapacityUnknown."""
    if not isinstance(body, dict) or not isinstance(body.get("pools"), list):
        raise CapacityUnknown("no pools in the answer")
    candidates, free = 0, 0
    for pool in body["pools"]:
        caps = pool.get("capabilities") if isinstance(pool, dict) else None
        value = (caps or {}).get("free_capacity_gb")
        if isinstance(value, int | float):
            free += max(int(value), 0)
            candidates += value >= size_gb
        else:  # "infinite", "unknown": the backend may take it
            candidates += 1
    return PodCapacity(candidates=candidates, free={VOLUME_GB: free})


async def read_volume_capacity(client: PodClient, token: str, size_gb: int, *,
                               timeout: float) -> PodCapacity:
    """Ask one pod's Cinder for its pools. Raises CapacityUnknown on any failure."""
    try:
        resp = await client.request("volumev3", "GET", "/scheduler-stats/get_pools",
                                    headers={"X-Auth-Token": token},
                                    params={"detail": "true"}, timeout=timeout)
    except PodRequestError as exc:
        raise CapacityUnknown(str(exc)) from exc
    if resp.status != 200:
        raise CapacityUnknown(f"{client.region} get_pools answered {resp.status}")
    try:
        return parse_pools(resp.json(), size_gb)
    except ValueError as exc:
        raise CapacityUnknown(f"{client.region} get_pools sent invalid JSON") from exc
