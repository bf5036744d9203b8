"""Declarative descriptions of the resources the gateway routes (data, not code).

Each surface module (`compute`, later `volume`, `network`, `image`) declares its
resources as `Resource` values; the generic pass-through (`tricircle.proxy`)
reads them to know where a resource lives, which fields hold ids and AZ names,
how a create is placed and marked, and how a list is merged.
"""

from __future__ import annotations

from tricircle.resources.base import ListMerge, MetadataMarker, Resource, Surface
from tricircle.resources.compute import COMPUTE, SERVER
from tricircle.resources.volume import (
    ATTACHMENT,
    BACKUP,
    GROUP,
    GROUP_SNAPSHOT,
    MESSAGE,
    SNAPSHOT,
    TRANSFER,
    VOLUME,
    VOLUME_SURFACE,
)

REGISTRY: dict[str, Resource] = {r.name: r for r in (SERVER, VOLUME, SNAPSHOT, BACKUP,
                                                     TRANSFER, ATTACHMENT, GROUP,
                                                     GROUP_SNAPSHOT, MESSAGE)}


def get(name: str) -> Resource:
    """The descriptor named `name`. Raises KeyError."""
    return REGISTRY[name]


__all__ = ["ATTACHMENT", "BACKUP", "COMPUTE", "GROUP", "GROUP_SNAPSHOT", "MESSAGE", "REGISTRY",
           "SERVER", "SNAPSHOT", "TRANSFER", "VOLUME", "VOLUME_SURFACE",
           "ListMerge", "MetadataMarker", "Resource", "Surface", "get"]
