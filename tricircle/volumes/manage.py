"""Which pod a Cinder call naming a backend host or an availability zone is for
(``manageable_volumes``, ``manageable_snapshots``, legacy ``os-volume-manage`` /
``os-snapshot-manage``): a host string (``host[@backend[#pool]]``) is a
cinder-volume service of exactly one pod; a top availability zone is a pod's.

Hosts are matched against each pod's ``GET /os-services?binary=cinder-volume``,
asked with the caller's token (these calls are admin-only in Cinder: a caller
who may not read services may not manage volumes either, and the default pod
words the refusal).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from tricircle.clients.pod import PodClients
from tricircle.fanout.gather import gather
from tricircle.pods.registry import PodInfo


def host_of(value: Any) -> str | None:
    """``host@backend`` of a ``host@backend#pool`` string (None: not a host)."""
    if not isinstance(value, str) or not value:
        return None
    return value.split("#", 1)[0]


def pod_of_az(pods: Sequence[PodInfo], az: Any) -> PodInfo | None:
    """The one pod serving top availability zone `az` (None: none or several)."""
    if not isinstance(az, str) or not az:
        return None
    serving = [p for p in pods if p.az_name == az and p.state != "disabled"]
    return serving[0] if len(serving) == 1 else None


async def pod_of_host(pods: PodClients, candidates: Sequence[PodInfo], host: str, *,
                      path_prefix: str, headers: Mapping[str, str],
                      deadline: float) -> PodInfo | None:
    """The pod one of whose cinder-volume services is `host` (``host`` or
    ``host@backend``); None when no pod (or more than one) has it."""
    wanted = host_of(host) or ""
    path = f"{path_prefix}/os-services"
    regions = [p.region_name for p in candidates]

    async def hosts(region: str) -> set[str]:
        client = await pods.get(region)
        resp = await client.request("volumev3", "GET", path, params={"binary": "cinder-volume"},
                                    headers=dict(headers), timeout=deadline)
        if resp.status != 200:
            return set()
        services = (json.loads(resp.body) or {}).get("services") or []
        return {str(s.get("host")) for s in services if isinstance(s, dict)}

    results = await gather(regions, hosts, deadline=deadline)
    matching = [pod for pod, r in zip(candidates, results, strict=True)
                if r.ok and r.value is not None and _matches(wanted, r.value)]
    return matching[0] if len(matching) == 1 else None


def _matches(wanted: str, hosts: set[str]) -> bool:
    """`wanted` (``host`` or ``host@backend``) names one of `hosts` (``host@backend``)."""
    return wanted in hosts or any(h.split("@", 1)[0] == wanted for h in hosts)
