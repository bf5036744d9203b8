"""Free capacity of a pod for a flavor, read from the pod's Placement API.

`GET /allocation_candidates?resources=VCPU:n,MEMORY_MB:m,DISK_GB:d` at
``placement 1.36`` with the service token: the number of allocation requests
says whether the pod can host the flavor at all, the provider summaries how
much is left (capacity already includes allocation ratios and reserved).
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
