"""Scheduler weighers: one module each, `weigh(spec, pods, observations) -> [float]`.

A weigher sees every candidate at once (it normalises across them, as Nova's
weighers do) and returns one weight per pod in [0, 1], before its multiplier.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tricircle.scheduler.filters import PodLike
from tricircle.scheduler.spec import Observations, RequestSpec

Weigher = Callable[[RequestSpec, Sequence[PodLike], Observations], list[float]]


def normalise(values: Sequence[float | None]) -> list[float]:
    """Min-max scale to [0, 1]; unknown values (None) get 0; all equal -> all 0."""
    known = [v for v in values if v is not None]
    if not known:
        return [0.0] * len(values)
    low, high = min(known), max(known)
    span = high - low
    return [0.0 if v is None or span == 0 else (v - low) / span for v in values]
