"""A new volume goes preferably where the project's servers are, and a new server
where the project's volumes are (the more of them, the stronger): a volume made
without an AZ is most often meant for one of the project's servers and a server
for one of its volumes, and a pod's Nova attaches only its own Cinder's volumes
(DESIGN.md §5: "resources already there for this tenant"). So `volume create`,
`server create`, `server add volume` works in either order without naming an AZ.
A server booting from a volume follows that volume through a pin instead. Below
a binding, above the image weigher and capacity."""

from __future__ import annotations

from collections.abc import Sequence

from tricircle.scheduler.filters import PodLike
from tricircle.scheduler.spec import Observations, RequestSpec


def weigh(spec: RequestSpec, pods: Sequence[PodLike], obs: Observations) -> list[float]:
    held = obs.project_servers if spec.surface == "volume" else obs.project_volumes
    counts = [held.get(pod.id, 0) for pod in pods]
    most = max(counts, default=0)
    return [count / most if most else 0.0 for count in counts]
