"""Paging across pods: limit/marker parsing, the per-pod position token, next hrefs.

Clients page with a plain `marker` (the id of the last item they saw). A stock
pod can only continue after an item *it* holds, so the gateway also needs, for
every pod, the last item it already returned from that pod. That map travels in
the next href the gateway writes, as one opaque query parameter beside the plain
marker (`tricircle_cursor`); clients follow the href unchanged. It is bound to
the marker it was issued with: a client that changes `marker` by hand gets the
plain-marker path instead (docs/lists.md). Pods never see the parameter.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from multidict import MultiMapping

CURSOR_PARAM = "tricircle_cursor"
MAX_LIMIT = 1000  # Nova's [api] max_limit default: a page without `limit` holds at most this
PAGING_PARAMS = ("limit", "marker", "sort_key", "sort_dir")


class InvalidLimit(ValueError):
    """`limit` is not a non-negative integer (the pod words the 400 itself)."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where a client's paging stands: the plain marker and, per pod (region),
    the pod's own id of the last item already returned from it."""

    marker: str | None = None
    pods: dict[str, str] = field(default_factory=dict)
    scope: str = ""   # query_scope() of the request: filters and sort it is valid for

    def advance(self, marker: str, emitted: Iterable[tuple[str, str]]) -> Position:
        """The position after returning `emitted` (region, bottom id) pairs in
        order, the last of which has the top id `marker`."""
        pods = dict(self.pods)
        for region, bottom_id in emitted:
            pods[region] = bottom_id
        return Position(marker, pods, self.scope)

    def encode(self) -> str:
        raw = json.dumps({"m": self.marker, "p": self.pods, "s": self.scope}, sort_keys=True,
                         separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(zlib.compress(raw, 9)).rstrip(b"=").decode()


def query_scope(query: MultiMapping[str]) -> str:
    """A short digest of the parameters that decide the order and the set of
    items (filters, sort): a cursor is only valid for the query it came from."""
    items = sorted((k, v) for k, v in query.items() if k not in ("limit", "marker",
                                                                  CURSOR_PARAM))
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()[:12]


def decode(token: str | None, marker: str | None, scope: str = "") -> Position | None:
    """The Position in `token` if it is well formed and was issued for `marker`
    and the query `scope`; None otherwise (absent, tampered, or the client
    changed the marker, a filter or the sort)."""
    if not token or not marker:
        return None
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        data = json.loads(raw)
    except (binascii.Error, zlib.error, ValueError):
        return None
    pods = data.get("p") if isinstance(data, dict) else None
    if not isinstance(pods, dict) or data.get("m") != marker or data.get("s", "") != scope:
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in pods.items()):
        return None
    return Position(marker, pods, scope)


def last(query: MultiMapping[str], name: str) -> str | None:
    """The last value of a repeated query parameter, as webob (Nova) reads it."""
    values = query.getall(name, [])
    return values[-1] if values else None


def page_limit(query: MultiMapping[str], max_limit: int = MAX_LIMIT) -> int:
    """The page size Nova would use: `limit` capped at `max_limit`, or `max_limit`.

    Raises InvalidLimit when `limit` is not a non-negative integer.
    """
    raw = last(query, "limit")
    if raw is None or raw == "":
        return max_limit
    if not raw.isdigit():
        raise InvalidLimit(raw)
    return min(int(raw), max_limit)


def next_href(base: str, query: MultiMapping[str], *,
              marker: str, position: Position) -> str:
    """The `next` href: the request's parameters (sorted, repeated ones kept),
    `marker` replaced, and the per-pod cursor. `base` is the gateway URL of the
    collection (e.g. http://gw/compute/v2.1/servers/detail)."""
    items = [(k, v) for k, v in query.items() if k not in ("marker", CURSOR_PARAM)]
    items.sort(key=lambda kv: kv[0])
    items += [("marker", marker), (CURSOR_PARAM, position.encode())]
    return f"{base}?{urlencode(items)}"


def forwarded_params(query: MultiMapping[str]
                     ) -> list[tuple[str, str]]:
    """The client's parameters minus those the gateway handles itself (paging);
    repeated parameters are kept in order."""
    return [(k, v) for k, v in query.items() if k not in (*PAGING_PARAMS, CURSOR_PARAM)]
