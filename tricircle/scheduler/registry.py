"""Filters and weighers by the names used in ``[scheduler] filters/weighers``."""

from __future__ import annotations

from tricircle.scheduler.filters import (
    Filter,
    availability_zone,
    capability,
    capacity,
    health,
    state,
)
from tricircle.scheduler.weighers import Weigher
from tricircle.scheduler.weighers import binding as binding_weigher
from tricircle.scheduler.weighers import capacity as capacity_weigher

FILTERS: dict[str, Filter] = {
    "availability_zone": availability_zone.passes,
    "state": state.passes,
    "health": health.passes,
    "capability": capability.passes,
    "capacity": capacity.passes,
}

# name -> (weigher, multiplier). A binding outweighs any capacity difference.
WEIGHERS: dict[str, tuple[Weigher, float]] = {
    "binding": (binding_weigher.weigh, 1000.0),
    "capacity": (capacity_weigher.weigh, 1.0),
}

# Always applied after the configured filters: a pod that Placement says has no
# room can never be chosen, whatever the configuration.
MANDATORY_FILTERS = ("capacity",)


def filters(names: list[str]) -> list[tuple[str, Filter]]:
    """The named filters in order, plus the mandatory ones. Raises KeyError if unknown."""
    chosen = [(n, FILTERS[n]) for n in names]
    chosen += [(n, FILTERS[n]) for n in MANDATORY_FILTERS if n not in names]
    return chosen


def weighers(names: list[str]) -> list[tuple[str, Weigher, float]]:
    """The named weighers with their multipliers. Raises KeyError if unknown."""
    return [(n, *WEIGHERS[n]) for n in names]
