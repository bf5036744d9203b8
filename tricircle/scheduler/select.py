"""`select_pod`: filters then weighers, a pure function of its inputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from tricircle.scheduler import errors, registry
from tricircle.scheduler.filters import PodLike
from tricircle.scheduler.filters.capability import version_range
from tricircle.scheduler.spec import Observations, RequestSpec

P = TypeVar("P", bound=PodLike)
DEFAULT_FILTERS = ["availability_zone", "state", "health", "capability"]
DEFAULT_WEIGHERS = ["binding", "capacity"]


def select_pod(spec: RequestSpec, pods: Sequence[P], observations: Observations, *,
               filters: Sequence[str] = DEFAULT_FILTERS,
               weighers: Sequence[str] = DEFAULT_WEIGHERS) -> P:
    """Return the best pod for `spec`.

    Raises AvailabilityZoneNotAvailable when no pod at all is in the requested
    AZ, VersionNotSupported when the pods left before the capability filter
    serve none of them the requested microversion, NoValidPod when the filters
    leave nothing else. Ties go to the first pod by region name.
    """
    if spec.availability_zone and not any(p.az_name == spec.availability_zone for p in pods):
        raise errors.AvailabilityZoneNotAvailable()
    candidates = sorted(pods, key=lambda p: p.region_name)
    for name, passes in registry.filters(list(filters)):
        left = [p for p in candidates if passes(spec, p, observations)]
        if not left:
            _raise_for(name, spec, candidates)
        candidates = left
    return _best(spec, candidates, observations, weighers)


def _raise_for(filter_name: str, spec: RequestSpec, candidates: Sequence[PodLike]) -> None:
    if filter_name == "capability" and spec.microversion is not None:
        ranges = [r for r in (version_range(p, spec.surface) for p in candidates) if r]
        low = min((r[0] for r in ranges), default=(2, 1))
        high = max((r[1] for r in ranges), default=(2, 1))
        raise errors.VersionNotSupported(version=_fmt(spec.microversion),
                                         min=_fmt(low), max=_fmt(high))
    raise errors.NoValidPod()


def _fmt(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def _best(spec: RequestSpec, candidates: list[P], observations: Observations,
          weighers: Sequence[str]) -> P:
    scores = [0.0] * len(candidates)
    for _name, weigh, multiplier in registry.weighers(list(weighers)):
        for i, w in enumerate(weigh(spec, candidates, observations)):
            scores[i] += multiplier * w
    best = max(range(len(candidates)), key=lambda i: (scores[i], -i))
    return candidates[best]
