"""A small in-process TTL + LRU cache.

Used for bound routing rows and pod records on the hot path. It is only a
shortcut: every entry expires after `ttl` seconds, so several api processes
never disagree for longer than that, and callers that get an answer from a pod
contradicting a cached entry (a 404) invalidate it and look again (see
`tricircle.proxy.locate`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class TTLCache(Generic[V]):
    def __init__(self, *, ttl: float, max_size: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._max = max_size
        self._clock = clock
        self._items: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        """The live value of `key`, or None (expired entries are dropped)."""
        entry = self._items.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires <= self._clock():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return value

    def put(self, key: Hashable, value: V) -> None:
        if self._ttl <= 0 or self._max <= 0:
            return
        self._items[key] = (self._clock() + self._ttl, value)
        self._items.move_to_end(key)
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    def invalidate(self, key: Hashable) -> None:
        self._items.pop(key, None)

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
