"""A server that names a server group (scheduler hint `group`) goes to a pod that
holds the group: Nova checks group policies (affinity, anti-affinity) only among
the group's members, which live in the group's pod. When no pod knows the group,
every pod passes and the chosen pod answers Nova's own error."""

from __future__ import annotations

from tricircle.scheduler.filters import PodLike
from tricircle.scheduler.spec import Observations, RequestSpec


def passes(spec: RequestSpec, pod: PodLike, obs: Observations) -> bool:
    if not spec.server_group or obs.group_pods is None:
        return True
    return pod.id in obs.group_pods
