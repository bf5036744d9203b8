"""The shape of a resource descriptor."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class MetadataMarker:
    """The top id carried by a bottom resource as one metadata item.

    The item is added to the create body and hidden from every response the
    gateway passes back (`strip`), so users never see it; the repair and the
    audit find bottom resources by it.
    """

    key: str
    # where the metadata dict sits in the create body: {"server": {"metadata": {...}}}
    member_key: str

    def add(self, body: dict[str, Any], top_id: str) -> None:
        """Put the marker into a parsed create body (in place)."""
        member = body[self.member_key]
        metadata = member.get("metadata")
        member["metadata"] = {**(metadata if isinstance(metadata, dict) else {}),
                              self.key: top_id}

    def find(self, member: dict[str, Any]) -> str | None:
        """The marker value of a bottom resource (parsed), if any."""
        metadata = member.get("metadata")
        return metadata.get(self.key) if isinstance(metadata, dict) else None

    @property
    def needle(self) -> bytes:
        return b'"' + self.key.encode() + b'"'

    def strip(self, body: bytes) -> bytes:
        """Remove the marker item from a raw JSON body (any nesting, any number of
        occurrences), keeping the surrounding object valid. Cheap when absent."""
        if self.needle not in body:
            return body
        return _pattern(self.key).sub(_join, body)


_PATTERNS: dict[str, re.Pattern[bytes]] = {}


def _pattern(key: str) -> re.Pattern[bytes]:
    pattern = _PATTERNS.get(key)
    if pattern is None:
        item = rb'"' + re.escape(key.encode()) + rb'"\s*:\s*"(?:[^"\\]|\\.)*"'
        pattern = re.compile(rb"(\s*,\s*)?" + item + rb"(\s*,\s*)?")
        _PATTERNS[key] = pattern
    return pattern


def _join(match: re.Match[bytes]) -> bytes:
    # between two items keep one separator; first or last item: drop its comma
    return b", " if match.group(1) and match.group(2) else b""


@dataclass(frozen=True, slots=True)
class Surface:
    """One API family served by the gateway, as the pass-through needs it.

    `markers` are hidden from every answer of the surface; `az_fields` are body
    fields holding availability zone names, translated pod AZ <-> top AZ.
    `request_id_headers` are the names the real service uses for its request id.
    """

    name: str                     # "compute"
    service_type: str             # catalog type of the pods' endpoint
    surface_path: str             # "/compute/v2.1": prefix of the gateway's URLs
    dialect: str                  # faults.Dialect value
    request_id_headers: tuple[str, ...] = ("X-OpenStack-Request-ID",)
    markers: tuple[MetadataMarker, ...] = ()
    az_fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ListMerge:
    """How a collection is listed across pods (used by the fan-out)."""

    links_key: str                       # "servers_links"
    default_sort: tuple[tuple[str, str], ...]   # ((key, dir), ...) of the real service
    marker_param: str = "marker"


@dataclass(frozen=True, slots=True)
class Resource:
    """One routed resource type.

    `routing_type` names its rows in the routing table; `placement` says how a
    create picks its pod ("scheduler": filters/weighers; "central": central
    Neutron; "first_copy": images); `id_source` where the top id comes from
    ("bottom": top id = the id the pod returns). `id_fields` are body fields
    holding ids of *other* routed resources (translated per pod).
    """

    name: str
    surface: Surface
    collection: str
    member_key: str
    routing_type: str
    placement: str
    id_source: str
    marker: MetadataMarker | None = None
    id_fields: tuple[str, ...] = ()
    list_merge: ListMerge | None = None
    not_found: str = "The resource could not be found."
    extra: dict[str, Any] = field(default_factory=dict)
