"""A volume goes preferably where the project's servers are (the more of them,
the stronger): a volume created without an AZ is most often meant for one of
them, and a pod's Nova attaches only its own Cinder's volumes (DESIGN.md §5:
"resources already there for this tenant"). Servers are not weighed by it: they
follow their volumes through pins instead. Below a binding, above the image
weigher and capacity."""

from __future__ import annotations

from collections.abc import Sequence

from tricircle.scheduler.filters import PodLike
from tricircle.scheduler.spec import Observations, RequestSpec


def weigh(spec: RequestSpec, pods: Sequence[PodLike], obs: Observations) -> list[float]:
    if spec.surface != "volume" or not obs.project_servers:
        return [0.0] * len(pods)
    counts = [obs.project_servers.get(pod.id, 0) for pod in pods]
    most = max(counts, default=0)
    return [count / most if most else 0.0 for count in counts]
