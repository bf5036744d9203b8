"""The pod serves the requested microversion of the surface.

Pods whose range is not known yet pass (the pod itself will answer 406 if not).
"""

from __future__ import annotations

from tricircle.scheduler.filters import PodLike
from tricircle.scheduler.spec import Observations, RequestSpec, parse_version


def version_range(pod: PodLike, surface: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """(min, max) microversion of `surface` from the pod's capabilities, or None."""
    caps = (pod.capabilities or {}).get(surface) or {}
    try:
        low = parse_version(caps.get("min_version"))
        high = parse_version(caps.get("max_version"))
    except ValueError:
        return None
    if low is None or high is None:
        return None
    return low, high


def passes(spec: RequestSpec, pod: PodLike, obs: Observations) -> bool:
    if spec.microversion is None:
        return True
    bounds = version_range(pod, spec.surface)
    return bounds is None or bounds[0] <= spec.microversion <= bounds[1]
