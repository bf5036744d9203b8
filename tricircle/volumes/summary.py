"""GET /volumes/summary (Cinder 3.12+) across pods: the sums of every pod holding
the caller's volumes (total size and count; from 3.36 the metadata keys with
the union of their values)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tricircle.clients.pod import PodClients, PodResponse
from tricircle.fanout.gather import gather
from tricircle.fanout.servers import ListPod
from tricircle.resources.volume import VOLUME_MARKER

KEY = "volume-summary"


@dataclass(slots=True)
class Summary:
    """The merged summary, or a pod's own refusal (`passthrough`); pods left out."""

    body: dict[str, Any] | None = None
    passthrough: PodResponse | None = None
    headers: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def merge(parts: list[dict[str, Any]], hidden: str = VOLUME_MARKER.key) -> dict[str, Any]:
    """One summary from the pods' summaries (the gateway's marker key hidden)."""
    total: dict[str, Any] = {"total_size": 0, "total_count": 0}
    metadata: dict[str, list[Any]] = {}
    for part in parts:
        total["total_size"] += part.get("total_size") or 0
        total["total_count"] += part.get("total_count") or 0
        for key, values in (part.get("metadata") or {}).items():
            if key == hidden:
                continue
            known = metadata.setdefault(key, [])
            known += [v for v in (values if isinstance(values, list) else [values])
                      if v not in known]
    if any("metadata" in part for part in parts):
        total["metadata"] = metadata
    return {KEY: total}


async def summarise(pods: PodClients, listed: list[ListPod], path: str, *,
                    params: Any, headers: Mapping[str, str], deadline: float) -> Summary:
    """Ask every usable pod in `listed`; a pod's 4xx is the answer, pods down are
    left out (named in `missing`)."""
    usable = [p.region for p in listed if p.usable]

    async def call(region: str) -> PodResponse:
        client = await pods.get(region)
        return await client.request("volumev3", "GET", path, params=params, headers=headers,
                                    timeout=deadline)

    results = await gather(usable, call, deadline=deadline)
    answers = [r.value for r in results if r.ok and r.value is not None
               and r.value.status < 500]
    refused = next((a for a in answers if a.status != 200), None)
    if refused is not None:
        return Summary(passthrough=refused)
    missing = [r.pod for r in results if not r.ok or r.value is None or r.value.status >= 500]
    missing += [p.region for p in listed if not p.usable]
    parts = [(a.json() or {}).get(KEY) or {} for a in answers]
    version = {h: answers[0].headers[h] for h in ("OpenStack-API-Version", "Vary")
               if answers and h in answers[0].headers}
    return Summary(body=merge(parts), headers=version, missing=missing)


def merge_limits(first: dict[str, Any], others: list[dict[str, Any]]) -> dict[str, Any]:
    """Cinder's limits over several pods: the limits (``max*``) of `first` (the
    default pod: quota is set in every pod alike), the usage (``total*Used``)
    summed over all of them."""
    absolute = dict((first.get("limits") or {}).get("absolute") or {})
    for other in others:
        for key, value in ((other.get("limits") or {}).get("absolute") or {}).items():
            if key.startswith("total") and isinstance(value, int | float) \
                    and isinstance(absolute.get(key, 0), int | float):
                absolute[key] = absolute.get(key, 0) + value
    return {"limits": {**(first.get("limits") or {}), "absolute": absolute}}


async def limits(pods: PodClients, regions: list[str], default: str, path: str, *,
                 params: Any, headers: Mapping[str, str], deadline: float) -> Summary:
    """GET /limits in `default` and every region of `regions`, merged; a pod's 4xx
    is the answer; pods down are left out (named), the default one included."""

    async def call(region: str) -> PodResponse:
        client = await pods.get(region)
        return await client.request("volumev3", "GET", path, params=params, headers=headers,
                                    timeout=deadline)

    ordered = [default, *sorted(r for r in set(regions) if r != default)]
    results = await gather(ordered, call, deadline=deadline)
    answers = {r.pod: r.value for r in results if r.ok and r.value is not None
               and r.value.status < 500}
    refused = next((a for a in answers.values() if a.status != 200), None)
    if refused is not None:
        return Summary(passthrough=refused)
    missing = [r for r in ordered if r not in answers]
    if not answers:
        return Summary(missing=missing)
    docs = [answers[r].json() or {} for r in ordered if r in answers]
    first = answers[next(r for r in ordered if r in answers)]
    version = {h: first.headers[h] for h in ("OpenStack-API-Version", "Vary")
               if h in first.headers}
    return Summary(body=merge_limits(docs[0], docs[1:]), headers=version, missing=missing)
