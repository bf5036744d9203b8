"""Names that may collide across pods (hosts, hypervisors, aggregates) and
integer ids that do (services and hypervisors below 2.53, aggregates).

Names: a name used by one pod only is shown as is; a name used by several pods
is shown as "<region>/<name>" in every one of them. A caller may always use the
qualified form ("RegionOne/compute1"); `split` tells which pod it means.

Integer ids: top id = bottom id * ID_STRIDE + slot, where slot (1..ID_STRIDE-1)
is the pod's position in the registry by creation time. UUID ids (2.53+) are
unique already and pass unchanged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from tricircle.pods.registry import PodInfo

SEPARATOR = "/"
ID_STRIDE = 1000


class Qualifier:
    """Decides, for one answer, which names must carry their pod's region."""

    def __init__(self, names: Iterable[tuple[str, str]]) -> None:
        """`names`: (region, name) pairs as the pods report them."""
        pairs = set(names)
        counts = Counter(name for _region, name in pairs)
        self._shared = {name for name, n in counts.items() if n > 1}

    def __call__(self, region: str, name: str | None) -> str | None:
        if name is None or name not in self._shared:
            return name
        return f"{region}{SEPARATOR}{name}"


def split(name: str, regions: Iterable[str]) -> tuple[str | None, str]:
    """("RegionOne", "compute1") for "RegionOne/compute1" when RegionOne is a
    known region; (None, name) otherwise (the name is looked up in every pod)."""
    region, sep, rest = name.partition(SEPARATOR)
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
