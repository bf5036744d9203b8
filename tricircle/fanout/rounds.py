"""The rounds after the first of a merged list (servers, volumes, images).

A merged list first asks every pod for a small share of the page (each pod's
page is sorted by the pod). That may not settle the page: a pod whose last item
is still inside the first `limit` merged items may hold unseen items that belong
to the page too. `extend` asks exactly those pods, in parallel, for more after
their last item, within what is left of the list's deadline, and repeats while
the page is unsettled (image lists, whose pages are filtered after each round,
may need several rounds; a server list settles in one, see `extension_sizes`).

The listers keep what differs: how a pod is asked (`Fetch`), what is done with
a round's new pages before they join (`Settle`: the image list keeps only the
images whose home is the pod).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from tricircle.fanout import merge
from tricircle.fanout.gather import PodResult, gather

LOG = logging.getLogger(__name__)
MIN_BUDGET = 0.01   # seconds: less than this left of the deadline, a round is not started


class Page(Protocol):
    """One pod's part of a merged list, as the rounds need it."""

    items: list[Any]        # sorted by the pod; what `key` takes
    last: str | None        # where the pod's next page starts (its marker)
    more: bool              # the pod may hold more after `last`
    spent: float            # seconds the pod's calls of this list took so far

    @property
    def region(self) -> str: ...


P = TypeVar("P", bound=Page)
# (page, how many items, seconds left) -> the pod's next page after page.last; raises
# (any exception) when the pod failed: the list goes on without its unseen items
Fetch = Callable[[P, int, float], Awaitable[P]]
Settle = Callable[[list[P]], Awaitable[None]]


def extension_sizes(pages: Sequence[Page], key: Callable[[Any], merge.SortKey],
                    limit: int) -> dict[int, int]:
    """Page index -> how many more items to ask that pod for, for the pages whose
    unseen items could still be among the first `limit` merged items.

    A page (flagged `more`) whose last item has merged rank r (1-based) is asked
    for ``limit - r`` more: its unseen items sort after that item, so at most that
    many can be in the page, and once it has returned them its last item ranks
    `limit` or later. One round therefore settles the page, whichever pods grow.
    A page flagged `more` without items (all of them filtered out) is asked for
    `limit`."""
    if limit <= 0:
        return {}
    sizes: dict[int, int] = {}
    taken = [0] * len(pages)
    for rank, (index, _item) in enumerate(merge.merge([p.items for p in pages], key), 1):
        taken[index] += 1
        if taken[index] == len(pages[index].items) and pages[index].more:
            sizes[index] = limit - rank
        if rank >= limit:
            break
    for index, page in enumerate(pages):
        if page.more and not page.items:
            sizes[index] = limit
    return {i: n for i, n in sorted(sizes.items()) if n > 0}


def timed(results: Sequence[PodResult[P]]) -> list[P]:
    """The pages of a first round's successful pod calls, each with the time its
    call took as `spent` (what `extend` counts against the pod's deadline)."""
    pages = []
    for r in results:
        if r.ok and r.value is not None:
            r.value.spent = r.elapsed
            pages.append(r.value)
    return pages


async def extend(pages: Sequence[P], fetch: Fetch[P], *, key: Callable[[Any], merge.SortKey],
                 limit: int, deadline: float, started: float, concurrency: int,
                 rounds: int = 1, settle: Settle[P] | None = None,
                 what: str = "list") -> list[str]:
    """Grow `pages` in place until the first `limit` merged items are settled, at
    most `rounds` rounds. Each pod's calls together stay within `deadline` (its
    `spent` time counts), the whole list within twice `deadline` from `started`:
    a pod that was slow in the first round is not waited for twice, and does not
    take the others' time (they are asked even when the round before waited the
    deadline for it). A pod that fails a round, or has no time left, keeps the
    items it gave and is flagged done (`more` False). Returns their regions.

    With `settle` (pages lose items after each round), pods are asked for whole
    pages (`limit`): fewer could take more rounds than `rounds` allows."""
    failed: list[str] = []
    for _ in range(rounds):
        sizes = extension_sizes(pages, key, limit)
        if not sizes:
            break
        if settle is not None:
            sizes = dict.fromkeys(sizes, limit)
        left = 2 * deadline - (time.monotonic() - started)
        budgets = {pages[i].region: min(deadline - pages[i].spent, left) for i in sizes}
        late = [pages[i] for i in sizes if budgets[pages[i].region] <= MIN_BUDGET]
        for page in late:
            page.more = False
        if late:
            failed += [page.region for page in late]
            LOG.warning("%s: no time left to ask %s for more", what,
                        ", ".join(page.region for page in late))
        grow = {pages[i].region: (pages[i], n) for i, n in sizes.items()
                if budgets[pages[i].region] > MIN_BUDGET}
        if not grow:
            break

        def call(region: str, asked: dict[str, tuple[P, int]] = grow,
                 budget: dict[str, float] = budgets) -> Awaitable[P]:
            page, size = asked[region]
            return fetch(page, size, budget[region])

        results = await gather(list(grow), call, deadline=max(budgets[r] for r in grow),
                               concurrency=concurrency, self_timed=True)
        extras = [r.value for r in results if r.ok and r.value is not None]
        if settle is not None:
            await settle(extras)
        for result in results:
            page = grow[result.pod][0]
            page.spent += result.elapsed
            extra = result.value
            if result.ok and extra is not None:
                page.items += extra.items
                page.last = extra.last or page.last
                page.more = extra.more
            else:
                page.more = False
                failed.append(result.pod)
                LOG.warning("%s: %s failed to give more: %s", what, result.pod, result.error)
    return failed
