"""The pod that answers calls no routing row decides (project-level calls such as
limits and quotas, unknown URLs, unrouted methods): any surface."""

from __future__ import annotations

from tricircle import faults
from tricircle.db.engine import Database
from tricircle.pods import bindings
from tricircle.pods.registry import PodInfo
from tricircle.proxy.locate import Locator


async def default_pod(db: Database, locator: Locator, project_id: str | None) -> PodInfo:
    """A pod the project is bound to (first by AZ name), else the first enabled,
    healthy pod by region name (then draining, then unhealthy; never disabled).
    Raises faults.ServiceUnavailable when no pod is registered."""
    pods = await locator.pods()
    if project_id:
        async with db.session() as s:
            bound = await bindings.list_bindings(s, project_id=project_id)
        for binding in bound:  # by AZ name: deterministic
            if binding.pod_id in pods and pods[binding.pod_id].state != "disabled":
                return pods[binding.pod_id]
    usable = sorted((p for p in pods.values() if p.state != "disabled"),
                    key=lambda p: (p.state != "enabled", p.health == "unhealthy",
                                   p.region_name))
    if not usable:
        raise faults.ServiceUnavailable("No pod is registered.")
    return usable[0]


async def pods_not_disabled(locator: Locator) -> list[PodInfo]:
    """Every pod not disabled, by region name (changes that must hold everywhere)."""
    return sorted((p for p in (await locator.pods()).values() if p.state != "disabled"),
                  key=lambda p: p.region_name)
