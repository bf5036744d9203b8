"""Only enabled pods take new resources (draining and disabled pods do not)."""

from __future__ import annotations

from tricircle.scheduler.filters import PodLike
from tricircle.scheduler.spec import Observations, RequestSpec


def passes(spec: RequestSpec, pod: PodLike, obs: Observations) -> bool:
    return pod.state == "enabled"
