"""Scheduler filters: one module each, `(spec, pod, observations) -> bool`.

A filter never raises; `select_pod` turns an empty result into the right error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from tricircle.scheduler.spec import Observations, RequestSpec


class PodLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def region_name(self) -> str: ...
    @property
    def az_name(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def health(self) -> str: ...
    @property
    def capabilities(self) -> dict: ...


Filter = Callable[[RequestSpec, PodLike, Observations], bool]
