"""The compute microversion range the gateway advertises: what every enabled pod
serves (the highest minimum and the lowest maximum).

Read from the pods' capabilities in the registry (filled by the health prober);
a pod without recorded capabilities is asked for its version document. The result
is cached in-process for `ttl` seconds.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from tricircle.clients.pod import PodClients, PodRequestError
from tricircle.pods.registry import PodInfo
from tricircle.proxy.locate import Locator
from tricircle.scheduler.spec import parse_version

LOG = logging.getLogger(__name__)
Version = tuple[int, int]
# What Nova 2.1 always serves; used when no pod can tell.
FALLBACK = ((2, 1), (2, 1))


def fmt(version: Version) -> str:
    return f"{version[0]}.{version[1]}"


def intersect(ranges: list[tuple[Version, Version]]) -> tuple[Version, Version] | None:
    """(max of mins, min of maxes), or None if empty or disjoint."""
    if not ranges:
        return None
    low = max(r[0] for r in ranges)
    high = min(r[1] for r in ranges)
    return (low, high) if low <= high else None


def _from_doc(doc: Any) -> tuple[Version, Version] | None:
    version = (doc or {}).get("version") if isinstance(doc, dict) else None
    if not isinstance(version, dict):
        return None
    try:
        low, high = parse_version(version.get("min_version")), parse_version(
            version.get("version"))
    except ValueError:
        return None
    return (low, high) if low and high else None


def _from_caps(pod: PodInfo, surface: str) -> tuple[Version, Version] | None:
    caps = (pod.capabilities or {}).get(surface) or {}
    try:
        low, high = parse_version(caps.get("min_version")), parse_version(
            caps.get("max_version"))
    except ValueError:
        return None
    return (low, high) if low and high else None


class VersionRange:
    def __init__(self, locator: Locator, pods: PodClients, *, ttl: float = 60.0) -> None:
        self._locator = locator
        self._pods = pods
        self._ttl = ttl
        self._cached: tuple[float, tuple[Version, Version]] | None = None

    async def compute(self) -> tuple[Version, Version]:
        """(min, max) compute microversion served by every enabled pod."""
        now = time.monotonic()
        if self._cached and self._cached[0] > now:
            return self._cached[1]
        pods = [p for p in (await self._locator.pods()).values() if p.state == "enabled"]
        ranges = [r for r in [await self._pod_range(p) for p in pods] if r]
        result = intersect(ranges) or FALLBACK
        if ranges and intersect(ranges) is None:
            LOG.error("enabled pods share no compute microversion: %s", ranges)
        self._cached = (now + self._ttl, result)
        return result

    async def _pod_range(self, pod: PodInfo) -> tuple[Version, Version] | None:
        known = _from_caps(pod, "compute")
        if known:
            return known
        try:
            client = await self._pods.get(pod.region_name)
            resp = await client.request("compute", "GET", "/", timeout=5.0)
        except PodRequestError as exc:
            LOG.warning("compute version of %s unknown: %s", pod.region_name, exc)
            return None
        return _from_doc(resp.json()) if resp.status == 200 else None
