"""Pods that already hold the images a server boots from win over capacity: no
copy to make before the boot (DESIGN.md §5, §10). Below a binding."""

from __future__ import annotations

from collections.abc import Sequence

from tricircle.scheduler.filters import PodLike
from tricircle.scheduler.spec import Observations, RequestSpec


def weigh(spec: RequestSpec, pods: Sequence[PodLike], obs: Observations) -> list[float]:
    if not spec.images:
        return [0.0] * len(pods)
    return [obs.image_copies.get(pod.id, 0) / len(spec.images) for pod in pods]
