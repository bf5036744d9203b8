"""Free capacity from the pods' Placement: spread prefers the most free, pack the least.

The score of a pod is the mean of its normalised free RAM and free VCPU; pods
with unknown capacity score as the emptiest choice under neither strategy (0).
"""

from __future__ import annotations

from collections.abc import Sequence

from tricircle.scheduler.filters import PodLike
from tricircle.scheduler.spec import Observations, RequestSpec
from tricircle.scheduler.weighers import normalise

_CLASSES = ("MEMORY_MB", "VCPU")
_VOLUME_CLASSES = ("VOLUME_GB",)


def _free(obs: Observations, pod: PodLike, rc: str) -> float | None:
    capacity = obs.capacity.get(pod.id)
    if capacity is None or rc not in capacity.free:
        return None
    return float(capacity.free[rc])


def weigh(spec: RequestSpec, pods: Sequence[PodLike], obs: Observations) -> list[float]:
    totals = [0.0] * len(pods)
    classes = _VOLUME_CLASSES if _VOLUME_CLASSES[0] in spec.resources else _CLASSES
    for rc in classes:
        values = [_free(obs, pod, rc) for pod in pods]
        if spec.strategy == "pack":
            values = [None if v is None else -v for v in values]
        for i, w in enumerate(normalise(values)):
            totals[i] += w / len(classes)
    return totals
