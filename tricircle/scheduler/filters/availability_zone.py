"""Only pods of the requested top availability zone (any pod when none asked), and
of a zone the server's networks may appear in (their availability_zone_hints)."""

from __future__ import annotations

from tricircle.scheduler.filters import PodLike
from tricircle.scheduler.spec import Observations, RequestSpec


def passes(spec: RequestSpec, pod: PodLike, obs: Observations) -> bool:
    if spec.network_zones and pod.az_name not in spec.network_zones:
        return False
    return not spec.availability_zone or pod.az_name == spec.availability_zone
