"""The volume surface's domain service, built once per application on first use.

Shares the compute surface's routing locator (one cache of rows and pods per
process) and scheduler; adds a forwarder for Cinder, the placed creates of
volumes, snapshots and backups, the merged listers and the version range.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tricircle.api import keys
from tricircle.context import RequestContext
from tricircle.db.engine import Database
from tricircle.distributed import replicate
from tricircle.distributed.volume_types import GROUP_TYPES, TypeIds
from tricircle.fanout.routed import RoutedServerSource
from tricircle.fanout.servers import ServerLister
from tricircle.pods.registry import PodInfo
from tricircle.proxy.create import PlacedCreate, Prepare
from tricircle.proxy.forward import Forwarder
from tricircle.proxy.locate import Locator
from tricircle.proxy.service import compute_core
from tricircle.proxy.versions import VOLUME_FALLBACK, VersionRange
from tricircle.resources import (
    ATTACHMENT,
    BACKUP,
    GROUP,
    GROUP_SNAPSHOT,
    MESSAGE,
    SNAPSHOT,
    TRANSFER,
    VOLUME,
    VOLUME_SURFACE,
    Resource,
)
from tricircle.volumes import images, placement

SERVICE_NAME = "volume-core"


@dataclass
class VolumeCore:
    locator: Locator
    forwarder: Forwarder
    versions: VersionRange
    creates: dict[str, PlacedCreate]     # by resource name
    listers: dict[str, ServerLister]     # by resource name
    types: TypeIds                       # volume types by name in each pod
    group_types: TypeIds                 # group types by name in each pod
    volume_pods: RoutedServerSource      # where a project's volumes are


def build(app: web.Application) -> VolumeCore:
    conf, db, pods = app[keys.CONF], app[keys.DB], app[keys.PODS]
    compute = compute_core(app)
    locator = compute.locator
    forwarder = Forwarder(pods, VOLUME_SURFACE, public_url=conf.api.public_url)

    def placed(resource: Resource, pin: placement.Pin,
               prepare: Prepare | None = None) -> PlacedCreate:
        return PlacedCreate(resource, db, compute.scheduler, forwarder, locator,
                            pod_timeout=conf.pods.request_timeout,
                            service_auth=app[keys.SERVICE_AUTH], pods=pods, pin=pin,
                            prepare=prepare)

    types = TypeIds(pods, app[keys.SERVICE_AUTH])
    group_types = TypeIds(pods, app[keys.SERVICE_AUTH], kind=GROUP_TYPES)
    creates = {
        VOLUME.name: placed(VOLUME, placement.volume_pin(locator),
                            placement.both(images.image_replica(app), type_for_pod(types, db))),
        SNAPSHOT.name: placed(SNAPSHOT, placement.of_volume_pin(locator, "snapshot")),
        BACKUP.name: placed(BACKUP, placement.of_volume_pin(locator, "backup")),
        # transfers and attachments belong to the volume's project (Cinder)
        TRANSFER.name: placed(TRANSFER, placement.of_volume_pin(locator, "transfer",
                                                                 owned_with=True)),
        ATTACHMENT.name: placed(ATTACHMENT, placement.of_volume_pin(
            locator, "attachment", "volume_uuid", owned_with=True)),
        GROUP.name: placed(GROUP, placement.no_pin,
                           group_types_for_pod(types, group_types, db)),
        GROUP_SNAPSHOT.name: placed(GROUP_SNAPSHOT, placement.of_volume_pin(
            locator, "group_snapshot", "group_id", GROUP)),
    }
    listers = {r.name: ServerLister(pods, RoutedServerSource(db, locator.pods,
                                                             routing_type=r.routing_type))
               for r in (VOLUME, SNAPSHOT, BACKUP, TRANSFER, GROUP, GROUP_SNAPSHOT)}
    # attachments a pod's Nova made, messages its Cinder wrote, have no row: every pod
    # holding the project's volumes
    for found in (ATTACHMENT, MESSAGE):
        listers[found.name] = ServerLister(pods, RoutedServerSource(
            db, locator.pods, routing_type=VOLUME.routing_type))
    versions = VersionRange(locator, pods, surface="volume", service_type="volumev3",
                            fallback=VOLUME_FALLBACK)
    return VolumeCore(locator, forwarder, versions, creates, listers, types, group_types,
                      RoutedServerSource(db, locator.pods, routing_type=VOLUME.routing_type))


def type_for_pod(types: TypeIds, db: Database) -> Prepare:
    """A volume create naming a type by its top id: the chosen pod gets the type's
    name when its own id differs (Cinder takes either)."""

    async def prepare(ctx: RequestContext, pod: PodInfo, doc: dict[str, Any]) -> None:
        member = doc.get("volume") or {}
        value = member.get("volume_type") if isinstance(member, dict) else None
        if isinstance(value, str) and value:
            member["volume_type"] = await types.for_pod(
                await replicate.pods_in_service(db), pod.region_name, value)

    return prepare


def group_types_for_pod(types: TypeIds, group_types: TypeIds, db: Database) -> Prepare:
    """A group create naming its group type and volume types by top id: the
    chosen pod gets their names where its own ids differ (Cinder takes either)."""

    async def prepare(ctx: RequestContext, pod: PodInfo, doc: dict[str, Any]) -> None:
        member = doc.get("group")
        if not isinstance(member, dict):
            return
        pods = await replicate.pods_in_service(db)
        if isinstance(member.get("group_type"), str) and member["group_type"]:
            member["group_type"] = await group_types.for_pod(pods, pod.region_name,
                                                             member["group_type"])
        if isinstance(member.get("volume_types"), list):
            member["volume_types"] = [
                await types.for_pod(pods, pod.region_name, v) if isinstance(v, str) and v
                else v for v in member["volume_types"]]

    return prepare


def volume_core(app: web.Application) -> VolumeCore:
    """The application's VolumeCore (created on first use; needs the app started)."""
    services = app[keys.SERVICES]
    core = services.get(SERVICE_NAME)
    if core is None:
        core = services[SERVICE_NAME] = build(app)
    return core  # type: ignore[no-any-return]
