"""Parallel fan-out to pods: bounded concurrency, a deadline per pod, results in
the pods' given (deterministic) order, each tagged with its pod.

A pod that raises or misses its deadline does not fail the fan-out: its
`PodResult` carries the error instead, and the caller decides (skip, minimal
records, 503). Cancellation of the caller cancels every pending pod call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


class PodDeadlineExceeded(TimeoutError):
    """The pod did not answer within its deadline."""

    def __init__(self, pod: str, deadline: float) -> None:
        self.pod = pod
        super().__init__(f"{pod}: no answer within {deadline:g}s")


@dataclass(frozen=True, slots=True)
class PodResult(Generic[T]):
    """What one pod returned (`value`) or why it did not (`error`)."""

    pod: str
    index: int
    value: T | None = None
    error: BaseException | None = None
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


async def gather(pods: Sequence[str], call: Callable[[str], Awaitable[T]], *,
                 deadline: float, concurrency: int = 64,
                 self_timed: bool = False) -> list[PodResult[T]]:
    """Run `call(pod)` for every pod, at most `concurrency` at once.

    Each call gets `deadline` seconds from the moment it starts: gather times it,
    or, with `self_timed`, the call times itself (it passes what is left of
    `deadline` to its pod requests as their timeout; one timer per call instead of
    two) and a call that fails for a timeout is reported as PodDeadlineExceeded.
    Returns one PodResult per pod, in the order of `pods` (never in completion
    order), so merges and errors are reproducible. Never raises for a pod's failure.
    """
    limiter = asyncio.Semaphore(max(1, concurrency)) if len(pods) > concurrency else None

    async def one(index: int, pod: str) -> PodResult[T]:
        started = time.monotonic()
        try:
            if self_timed:
                value = await call(pod)
            else:
                async with asyncio.timeout(deadline):
                    value = await call(pod)
        except TimeoutError:
            return PodResult(pod, index, error=PodDeadlineExceeded(pod, deadline),
                             elapsed=time.monotonic() - started)
        except Exception as exc:  # noqa: BLE001 - a pod's failure is data here
            if self_timed and isinstance(exc.__cause__, TimeoutError):
                exc = PodDeadlineExceeded(pod, deadline)
            return PodResult(pod, index, error=exc, elapsed=time.monotonic() - started)
        return PodResult(pod, index, value=value, elapsed=time.monotonic() - started)

    async def limited(index: int, pod: str) -> PodResult[T]:
        assert limiter is not None
        async with limiter:
            return await one(index, pod)

    run = one if limiter is None else limited
    return list(await asyncio.gather(*(run(i, pod) for i, pod in enumerate(pods))))
