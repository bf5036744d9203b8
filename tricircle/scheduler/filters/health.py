"""Pods known to be unhealthy are skipped; "unknown" (not yet probed) passes, so a
freshly added pod is usable before its first probes complete."""

from __future__ import annotations

from tricircle.scheduler.filters import PodLike
from tricircle.scheduler.spec import Observations, RequestSpec


def passes(spec: RequestSpec, pod: PodLike, obs: Observations) -> bool:
    return pod.health != "unhealthy"
