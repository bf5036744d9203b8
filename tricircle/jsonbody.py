"""JSON bodies on the hot path (lists merged from many pods): orjson where it can,
the standard library where orjson is stricter (NaN and Infinity in, keys that are
not strings out). One difference stays: orjson reads an integer beyond 64 bits as
a float, where the standard library keeps it exact (no OpenStack list has one)."""

from __future__ import annotations

import json
from typing import Any

import orjson


def loads(data: bytes | str) -> Any:
    """Parse a JSON document. Raises ValueError (json.JSONDecodeError) when invalid."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def dumps(obj: Any) -> bytes:
    """Serialise to compact UTF-8 JSON. Raises TypeError for what JSON cannot hold."""
    try:
        return orjson.dumps(obj)
    except TypeError:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
