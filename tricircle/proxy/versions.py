"""The microversion range the gateway advertises for a surface (compute, volume):
what every enabled pod serves (the highest minimum and the lowest maximum).

Read from the pods' capabilities in the registry (filled by the health prober);
a pod without recorded capabilities is asked for its version document. The result
is cached in-process for `ttl` seconds.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import aiohttp

from tricircle.clients.pod import PodClient, PodClients, PodRequestError
from tricircle.pods.health import endpoint_root
from tricircle.pods.registry import PodInfo
from tricircle.proxy.locate import Locator
from tricircle.scheduler.spec import parse_version

LOG = logging.getLogger(__name__)
Version = tuple[int, int]
# What Nova 2.1 always serves; used when no pod can tell.
FALLBACK = ((2, 1), (2, 1))
# The same for Cinder v3.
VOLUME_FALLBACK = ((3, 0), (3, 0))


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
    """The range in a version document: Nova's ``{"version": {...}}`` or a root
    list ``{"versions": [...]}`` (Cinder; the entry with a maximum)."""
    if not isinstance(doc, dict):
        return None
    version = doc.get("version")
    if not isinstance(version, dict):
        listed = [v for v in doc.get("versions") or [] if isinstance(v, dict) and v.get("version")]
        version = listed[-1] if listed else None
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
    def __init__(self, locator: Locator, pods: PodClients, *, ttl: float = 60.0,
                 surface: str = "compute", service_type: str = "compute",
                 fallback: tuple[Version, Version] = FALLBACK) -> None:
        self._locator = locator
        self._pods = pods
        self._ttl = ttl
        self._surface = surface            # capabilities key ("compute", "volume")
        self._service_type = service_type  # catalog type of the pods' endpoint
        self._fallback = fallback
        self._cached: tuple[float, tuple[Version, Version]] | None = None

    async def compute(self) -> tuple[Version, Version]:
        """(min, max) microversion of the surface served by every enabled pod
        (named after the first surface; the same for any)."""
        return await self.range()

    async def range(self) -> tuple[Version, Version]:
        """(min, max) microversion of the surface served by every enabled pod."""
        now = time.monotonic()
        if self._cached and self._cached[0] > now:
            return self._cached[1]
        pods = [p for p in (await self._locator.pods()).values() if p.state == "enabled"]
        ranges = [r for r in [await self._pod_range(p) for p in pods] if r]
        result = intersect(ranges) or self._fallback
        if ranges and intersect(ranges) is None:
            LOG.error("enabled pods share no %s microversion: %s", self._surface, ranges)
        self._cached = (now + self._ttl, result)
        return result

    async def _pod_range(self, pod: PodInfo) -> tuple[Version, Version] | None:
        known = _from_caps(pod, self._surface)
        if known:
            return known
        try:
            client = await self._pods.get(pod.region_name)
            status, body = await self._document(client)
        except (PodRequestError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            LOG.warning("%s version of %s unknown: %s", self._surface, pod.region_name, exc)
            return None
        try:
            return _from_doc(json.loads(body)) if status in (200, 300) and body else None
        except ValueError:
            return None

    async def _document(self, client: PodClient) -> tuple[int, bytes]:
        """Nova's versioned document is public; Cinder's is not, its root is."""
        if self._service_type == "compute":
            doc = await client.request("compute", "GET", "/", timeout=5.0)
            return doc.status, doc.body
        root = endpoint_root(client.url(self._service_type, ""))
        async with client.session.get(root, timeout=aiohttp.ClientTimeout(total=5.0),
                                      headers={"Accept": "application/json"}) as resp:
            return resp.status, await resp.read()
