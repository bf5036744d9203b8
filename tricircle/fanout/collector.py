"""The cyclic garbage collector held off while a merged list builds its page.

A list over many pods parses thousands of short-lived records (1000 pods: ~4,000
server documents, ~160,000 containers). With the collector on, every one of them
is traversed by the young-generation collections it lives through, although
nearly all are freed by reference counting as soon as the page is written:
measured, ~35 % of a 1000-pod list's CPU (bench/fanout.py, `gc_off` against the
unmodified gateway). Held off for the list, the first collection after it only
sees what survived it.

Lists overlap (one event loop, many requests): the collector is back on when
the last of them ends; if lists keep overlapping for longer than `MAX_PAUSE`,
the young generation is collected once per `MAX_PAUSE` anyway, so cyclic garbage
made meanwhile cannot pile up. A collector that someone else turned off (tests,
an operator's tuning) is left alone.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterator

MAX_PAUSE = 1.0   # seconds

_holders = 0
_since = 0.0


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Hold the collector off for the duration of the block (nests, overlaps)."""
    global _holders, _since
    if _holders == 0:
        if not gc.isenabled():
            yield
            return
        gc.disable()
        _since = time.monotonic()
    _holders += 1
    try:
        yield
    finally:
        _holders -= 1
        if _holders == 0:
            gc.enable()
        elif time.monotonic() - _since > MAX_PAUSE:
            gc.collect(0)
            _since = time.monotonic()
