"""A pod whose Placement offered no allocation candidate cannot host the request.

Unknown capacity (Placement slow or down, flavor unknown) passes: the pod decides.
"""

from __future__ import annotations

from tricircle.scheduler.filters import PodLike
from tricircle.scheduler.spec import Observations, RequestSpec


def passes(spec: RequestSpec, pod: PodLike, obs: Observations) -> bool:
    capacity = obs.capacity.get(pod.id)
    return capacity is None or capacity.candidates > 0
