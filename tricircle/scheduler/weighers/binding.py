"""A pod the project is bound to (in the requested AZ; in any AZ when none was
requested) wins over capacity.

Its multiplier in the registry is large so a binding decides unless the bound pod
is filtered out (draining, unhealthy): then placement falls back to capacity.
"""

from __future__ import annotations

from collections.abc import Sequence

from tricircle.scheduler.filters import PodLike
from tricircle.scheduler.spec import Observations, RequestSpec


def weigh(spec: RequestSpec, pods: Sequence[PodLike], obs: Observations) -> list[float]:
    return [1.0 if pod.id in obs.bound_pods else 0.0 for pod in pods]
