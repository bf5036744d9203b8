"""Pod health: periodic probes with hysteresis, and capabilities from version documents.

A probe reads the unversioned root of the pod's compute endpoint (required) and
volume endpoint (when the catalog has one). Health flips to `unhealthy` only
after `[pods] failure_threshold` consecutive failed probes and back to
`healthy` only after `success_threshold` consecutive good ones, so one lost
packet does not stop placements. Several api processes share the work: a pod
is probed by whichever process first claims it for the interval.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from oslo_config import cfg
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tricircle.clients.pod import PodClient, PodClients, PodRequestError
from tricircle.db.clock import utc_after, utcnow
from tricircle.db.engine import Database
from tricircle.db.models import Pod
from tricircle.pods import registry

LOG = logging.getLogger(__name__)
_VERSION_SUFFIX = re.compile(r"/v\d+(\.\d+)?(/.*)?$")
# capability name -> catalog service types that serve it (first found wins)
SERVICES = {"compute": ("compute",), "volume": ("volumev3", "block-storage")}
REQUIRED = ("compute",)


@dataclass(frozen=True, slots=True)
class ProbeResult:
    ok: bool
    capabilities: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def endpoint_root(url: str) -> str:
    """The unversioned root of a catalog URL: ".../v2.1" and ".../v3/<project>" -> ".../"."""
    return _VERSION_SUFFIX.sub("", url.rstrip("/")) + "/"


def version_range(doc: Any) -> dict[str, str] | None:
    """{"min_version", "max_version"} of the newest microversioned API in a version
    document (Nova/Cinder `{"versions": [...]}`), or None if it has none."""
    versions = doc.get("versions") if isinstance(doc, dict) else None
    if isinstance(versions, dict):  # Keystone-style {"versions": {"values": [...]}}
        versions = versions.get("values")
    best: tuple[tuple[int, ...], dict[str, str]] | None = None
    for entry in versions or []:
        if not isinstance(entry, dict) or not entry.get("version"):
            continue
        key = _numbers(str(entry["version"]))
        if best is None or key > best[0]:
            best = (key, {"min_version": str(entry.get("min_version") or ""),
                          "max_version": str(entry["version"])})
    return best[1] if best else None


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version))


def next_health(current: str, failures: int, successes: int, *,
                failure_threshold: int, success_threshold: int) -> str:
    """Health after a probe, given the consecutive failure/success counts (hysteresis)."""
    if failures >= failure_threshold:
        return "unhealthy"
    if successes >= success_threshold:
        return "healthy"
    return current


async def _fetch(client: PodClient, url: str, timeout: float) -> Any:
    resp = await client.fetch("GET", url, headers={"Accept": "application/json"},
                              timeout=timeout)
    if resp.status not in (200, 300):
        raise PodRequestError(client.region, f"GET {url}: HTTP {resp.status}")
    try:
        return resp.json()
    except ValueError as exc:
        raise PodRequestError(client.region, f"GET {url}: ValueError: {exc}") from exc


async def probe(client: PodClient, *, timeout: float = 5.0) -> ProbeResult:
    """Read the pod's version documents. ok = every required service answered."""
    capabilities: dict[str, Any] = {}
    errors: list[str] = []
    for name, types in SERVICES.items():
        base = next((client.endpoints[t] for t in types if t in client.endpoints), None)
        if base is None:
            if name in REQUIRED:
                errors.append(f"no {name} endpoint in the catalog")
            continue
        try:
            found = version_range(await _fetch(client, endpoint_root(base), timeout))
        except PodRequestError as exc:
            errors.append(str(exc))
            continue
        if found is not None:
            capabilities[name] = found
    ok = all(name in capabilities for name in REQUIRED)
    return ProbeResult(ok=ok, capabilities=capabilities, error="; ".join(errors) or None)


async def record(s: AsyncSession, pod_id: str, result: ProbeResult, *,
                 failure_threshold: int, success_threshold: int) -> registry.PodInfo:
    """Store a probe result: counters, health with hysteresis, capabilities (kept from
    the last good probe when this one failed). Raises registry.PodNotFound."""
    pod = (await s.execute(select(Pod).where(Pod.id == pod_id).with_for_update())).scalar()
    if pod is None:
        raise registry.PodNotFound(pod=pod_id)
    failures = 0 if result.ok else pod.consecutive_failures + 1
    successes = pod.consecutive_successes + 1 if result.ok else 0
    health = next_health(pod.health, failures, successes, failure_threshold=failure_threshold,
                         success_threshold=success_threshold)
    values: dict[str, Any] = {"consecutive_failures": failures, "last_error": result.error,
                              "consecutive_successes": successes, "health": health,
                              "last_probe_at": utcnow()}
    if result.ok:
        values["capabilities"] = {**(pod.capabilities or {}), **result.capabilities}
    await s.execute(update(Pod).where(Pod.id == pod_id).values(**values))
    await s.refresh(pod)
    return registry.to_info(pod)


async def claim(s: AsyncSession, pod_id: str, interval: float) -> bool:
    """Take the right to probe `pod_id` now: False if another process probed it
    less than `interval` seconds ago (database time)."""
    stmt = (update(Pod).where(Pod.id == pod_id, or_(Pod.last_probe_at.is_(None),
                                                    Pod.last_probe_at < utc_after(-interval)))
            .values(last_probe_at=utcnow()).execution_options(synchronize_session=False))
    return bool((await s.execute(stmt)).rowcount == 1)  # type: ignore[attr-defined]


class HealthProber:
    """Probes every pod that is not disabled, every `[pods] probe_interval` seconds."""

    def __init__(self, db: Database, pods: PodClients, conf: cfg.ConfigOpts) -> None:
        self._db = db
        self._pods = pods
        self._conf = conf

    async def probe_pod(self, pod: registry.PodInfo) -> registry.PodInfo:
        """Probe one pod now and record the result; return the pod afterwards."""
        try:
            client = await self._pods.get(pod.region_name)
            result = await probe(client, timeout=min(10.0, self._conf.pods.request_timeout))
        except PodRequestError as exc:
            result = ProbeResult(ok=False, error=str(exc))
        async with self._db.session() as s:
            after = await record(s, pod.id, result,
                                 failure_threshold=self._conf.pods.failure_threshold,
                                 success_threshold=self._conf.pods.success_threshold)
        if after.health != pod.health:
            level = logging.WARNING if after.health == "unhealthy" else logging.INFO
            LOG.log(level, "pod %s is now %s (was %s)%s", pod.region_name, after.health,
                    pod.health, f": {result.error}" if result.error else "")
        elif not result.ok:
            LOG.info("pod %s probe failed: %s", pod.region_name, result.error)
        return after

    async def probe_all(self, *, force: bool = False) -> dict[str, str]:
        """Probe the pods due for a probe (every pod if `force`); region -> health."""
        interval = float(self._conf.pods.probe_interval) * 0.8
        async with self._db.session() as s:
            pods = [p for p in await registry.list_pods(s) if p.state != "disabled"]
        due = []
        for pod in pods:
            async with self._db.session() as s:
                if force or await claim(s, pod.id, interval):
                    due.append(pod)
        done = await asyncio.gather(*(self.probe_pod(p) for p in due))
        return {p.region_name: p.health for p in done}

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Probe loop: first round after one interval, then every interval."""
        interval = float(self._conf.pods.probe_interval)
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
                return
            except TimeoutError:
                pass
            try:
                await self.probe_all()
            except Exception:  # database down: keep probing later
                LOG.exception("pod health probe round failed")
