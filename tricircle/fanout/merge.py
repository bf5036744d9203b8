"""K-way merge of per-pod sorted pages on one or several (sort_key, sort_dir) pairs.

Each pod returns its items already sorted (by its own database). The merge only
compares the heads of the pods' lists, so a pod's own order is always kept, even
where the gateway cannot see the values the pod sorted on (Nova's internal
integer `id`, collations). Ties between pods are broken by pod order, then by the
item's position in its pod: the merged order is deterministic.

Sort parameters follow Nova (`nova.db.utils.process_sort_params`): the keys given,
their directions (missing directions take the first direction given, or `desc`),
then `created_at` and `id` appended in the first direction unless already present.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
SortSpec = list[tuple[str, str]]

DEFAULT_KEYS = ("created_at", "id")
DEFAULT_DIR = "desc"
VALID_DIRS = ("asc", "desc")


class InvalidSortParams(ValueError):
    """More directions than keys, or a direction that is neither asc nor desc."""


def sort_spec(keys: Sequence[str], dirs: Sequence[str],
              default_keys: Sequence[str] = DEFAULT_KEYS,
              default_dir: str = DEFAULT_DIR) -> SortSpec:
    """Return the effective [(key, dir), ...] Nova would sort with.

    Raises InvalidSortParams for a bad direction or more directions than keys.
    """
    for direction in dirs:
        if direction not in VALID_DIRS:
            raise InvalidSortParams(f"Unknown sort direction, must be one of: {VALID_DIRS}")
    if len(dirs) > len(keys):
        raise InvalidSortParams("Sort direction size exceeds sort key size")
    first = dirs[0] if dirs else default_dir
    result = list(zip(keys, [*dirs, *[first] * (len(keys) - len(dirs))], strict=True))
    for key in default_keys:
        if key not in keys:
            result.append((key, first))
    return result


# Sort values become plain tuples, compared natively (no Python-level __lt__):
# None first ascending / last descending (NULL in MySQL and SQLite), strings
# case-insensitively (MySQL's default collation), numbers before strings before
# anything else, so two values of different types compare without raising.
def _ascending(value: Any) -> tuple[Any, ...]:
    if value is None:
        return (0,)
    if isinstance(value, str):
        return (1, 1, value.casefold())
    if isinstance(value, bool | int | float):
        return (1, 0, float(value))
    return (1, 2, str(value))


# UTF-8 bytes compare as code points do; 254 - b reverses each byte's order (UTF-8
# never has 0xFF or 0xFE), and the trailing 0xFF, above every inverted byte, puts
# "abc" before its prefix "ab". One C-level translate instead of a tuple of ints.
_INVERT = bytes(254 - b if b < 255 else 0 for b in range(256))


def _inverted(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass").translate(_INVERT) + b"\xff"


def _descending(value: Any) -> tuple[Any, ...]:
    if value is None:
        return (1,)
    if isinstance(value, str):
        return (0, -1, _inverted(value.casefold()))
    if isinstance(value, bool | int | float):
        return (0, 0, -float(value))
    return (0, -2, _inverted(str(value)))


SortKey = tuple[Any, ...]


def key_function(spec: SortSpec, extract: Callable[[T, str], Any]) -> Callable[[T], SortKey]:
    """Return item -> comparable key for `spec`; `extract(item, sort_key)` reads
    one value (None when the item does not expose it)."""
    encoders = [(name, _descending if direction == "desc" else _ascending)
                for name, direction in spec]
    if len(encoders) == 2:  # the default sort (created_at, id): no generator per item
        (first, encode1), (second, encode2) = encoders

        def key2(item: T) -> SortKey:
            return encode1(extract(item, first)), encode2(extract(item, second))

        return key2

    def key(item: T) -> SortKey:
        return tuple(encode(extract(item, name)) for name, encode in encoders)

    return key


def merge(pages: Sequence[Iterable[T]], key: Callable[[T], SortKey]
          ) -> Iterator[tuple[int, T]]:
    """Yield (page index, item) over every page in merged order.

    Pages must each be sorted by `key` (pods return them so); ties across pages
    go to the lower page index, and within a page the page's order is kept.
    Holds one item per page at a time beyond what the pages hold.
    """

    def tagged(index: int, page: Iterable[T]) -> Iterator[tuple[SortKey, int, int, T]]:
        for position, item in enumerate(page):
            yield key(item), index, position, item

    for _key, index, _position, item in heapq.merge(
            *(tagged(i, page) for i, page in enumerate(pages))):
        yield index, item


def first_round_size(limit: int, pods: int) -> int:
    """Items to ask each pod for first: about twice its even share of the page
    (plus a little), all of the page for one or two pods."""
    if pods <= 2:
        return limit
    return min(limit, 2 * -(-limit // pods) + 2)
