"""Names that collide across pods (hosts, hypervisors, aggregates) and integer
ids that do (services and hypervisors below 2.53, aggregates).

Names: while more than one pod is in service, every host-like name in an admin
listing is shown as "<name>@<region>" (like Cinder's host@backend): stable,
the same in lists and shows, and usable in a URL path segment (hypervisor
search). With a single pod, names are the pod's own. Callers may always give
the qualified form; `split` tells which pod it means, an unqualified name is
looked up in every pod.

Integer ids: top id = bottom id * ID_STRIDE + slot, where slot (1..ID_STRIDE-1)
is the pod's position in the registry by creation time. UUID ids (2.53+) are
unique already and pass unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tricircle.pods.registry import PodInfo

SEPARATOR = "@"
ID_STRIDE = 1000


class Qualifier:
    """Qualifies names with their pod's region when several pods are in service."""

    def __init__(self, pods_in_service: int) -> None:
        self.enabled = pods_in_service > 1

    def __call__(self, region: str, name: str | None) -> str | None:
        if name is None or not self.enabled:
            return name
        return f"{name}{SEPARATOR}{region}"


def split(name: str, regions: Iterable[str]) -> tuple[str | None, str]:
    """("RegionOne", "compute1") for "compute1@RegionOne" when RegionOne is a
    known region; (None, name) otherwise (the name is looked up in every pod)."""
    rest, sep, region = name.rpartition(SEPARATOR)
    if sep and region in set(regions):
        return region, rest
    return None, name


def slots(pods: Sequence[PodInfo]) -> dict[str, int]:
    """Region -> slot: the pod's position by creation time (stable while pods are
    only added), 1-based."""
    ordered = sorted(pods, key=lambda p: (p.created_at is None, p.created_at, p.region_name))
    return {p.region_name: i for i, p in enumerate(ordered, 1)}


def top_int_id(bottom: int, slot: int) -> int:
    return bottom * ID_STRIDE + slot


def bottom_int_id(top: int) -> tuple[int, int]:
    """(bottom id, slot) of a top integer id."""
    return top // ID_STRIDE, top % ID_STRIDE


def translate_id(value: object, slot: int) -> object:
    """A pod's id as the gateway shows it: integers (and integer strings)
    encoded with the pod's slot; anything else (UUIDs) unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return top_int_id(value, slot)
    if isinstance(value, str) and value.isdigit():
        return str(top_int_id(int(value), slot))
    return value
