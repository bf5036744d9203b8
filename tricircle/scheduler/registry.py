"""Filters and weighers by the names used in ``[scheduler] filters/weighers``."""

from __future__ import annotations

from tricircle.scheduler.filters import (
    Filter,
    availability_zone,
    capability,
    capacity,
    health,
    server_group,
    state,
)
from tricircle.scheduler.weighers import Weigher
from tricircle.scheduler.weighers import affinity as affinity_weigher
from tricircle.scheduler.weighers import binding as binding_weigher
from tricircle.scheduler.weighers import capacity as capacity_weigher
from tricircle.scheduler.weighers import image as image_weigher

FILTERS: dict[str, Filter] = {
    "availability_zone": availability_zone.passes,
    "state": state.passes,
    "health": health.passes,
    "capability": capability.passes,
    "capacity": capacity.passes,
    "server_group": server_group.passes,
}

# name -> (weigher, multiplier). A binding outweighs any capacity difference; so
# does holding the boot image already (a copy costs more than an uneven spread),
# and, for a volume, the project's servers being there (it can be attached).
WEIGHERS: dict[str, tuple[Weigher, float]] = {
    "binding": (binding_weigher.weigh, 1000.0),
    "affinity": (affinity_weigher.weigh, 20.0),
    "image": (image_weigher.weigh, 10.0),
    "capacity": (capacity_weigher.weigh, 1.0),
}

# Always applied after the configured filters: a pod that Placement says has no
# room, or that lacks the server group the server must join, is never chosen.
MANDATORY_FILTERS = ("capacity", "server_group")


def filters(names: list[str]) -> list[tuple[str, Filter]]:
    """The named filters in order, plus the mandatory ones. Raises KeyError if unknown."""
    chosen = [(n, FILTERS[n]) for n in names]
    chosen += [(n, FILTERS[n]) for n in MANDATORY_FILTERS if n not in names]
    return chosen


def weighers(names: list[str]) -> list[tuple[str, Weigher, float]]:
    """The named weighers with their multipliers. Raises KeyError if unknown."""
    return [(n, *WEIGHERS[n]) for n in names]
