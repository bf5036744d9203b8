"""Only pods of the requested top availability zone (any pod when none asked)."""

from __future__ import annotations

from tricircle.scheduler.filters import PodLike
from tricircle.scheduler.spec import Observations, RequestSpec


def passes(spec: RequestSpec, pod: PodLike, obs: Observations) -> bool:
    return not spec.availability_zone or pod.az_name == spec.availability_zone
