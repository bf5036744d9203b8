"""A volume's ``volume_type_id`` (Cinder 3.63+) is its pod's id of the type; the
gateway shows the top id (the reference pod's, see distributed.volume_types),
so that ``GET /types/<volume_type_id>`` through the gateway finds it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tricircle.db.engine import Database
from tricircle.distributed import replicate
from tricircle.distributed.volume_types import TypeIds
from tricircle.proxy import microversion

SHOWN_FROM = (3, 63)


def shown(headers: Mapping[str, str]) -> bool:
    """True when the requested microversion shows ``volume_type_id``."""
    text = microversion.requested(headers, "volume")
    if text == "latest":
        return True
    try:
        version = microversion.parse(text)
    except ValueError:
        return False
    return version is not None and version >= SHOWN_FROM


async def top_ids(types: TypeIds, db: Database, headers: Mapping[str, str]
                  ) -> dict[str, str] | None:
    """pod type id -> top type id, when the answer will show type ids; else None."""
    if not shown(headers):
        return None
    return await types.top_ids(await replicate.pods_in_service(db)) or None


def map_listed(body: dict[str, Any] | None, collection: str,
               mapping: dict[str, str] | None) -> None:
    """Top type ids in a merged list's items (in place)."""
    if not body or not mapping:
        return
    for item in body.get(collection) or []:
        value = item.get("volume_type_id") if isinstance(item, dict) else None
        if isinstance(value, str) and value in mapping:
            item["volume_type_id"] = mapping[value]
