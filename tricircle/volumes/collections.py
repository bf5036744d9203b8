"""The Cinder collections as the merged list sees them (`fanout.servers.Collection`)."""

from __future__ import annotations

import dataclasses

from tricircle import faults
from tricircle.fanout.servers import Collection
from tricircle.resources.volume import VOLUME_MARKER

_COMMON_SORT: dict[str, tuple[str, ...]] = {
    "created_at": ("created_at",), "updated_at": ("updated_at",), "id": ("id",),
    "name": ("name",), "display_name": ("name",), "status": ("status",), "size": ("size",),
    "description": ("description",), "display_description": ("description",),
}
VOLUME_SORT = {**_COMMON_SORT, "availability_zone": ("availability_zone",),
               "bootable": ("bootable",), "project_id": ("os-vol-tenant-attr:tenant_id",),
               "user_id": ("user_id",)}
SNAPSHOT_SORT = {**_COMMON_SORT, "volume_id": ("volume_id",),
                 "project_id": ("os-extended-snapshot-attributes:project_id",)}
BACKUP_SORT = {**_COMMON_SORT, "volume_id": ("volume_id",),
               "availability_zone": ("availability_zone",)}


# Cinder answers an unknown marker with the item's own 404 (Nova: 400).
class VolumeMarkerNotFound(faults.NotFound):
    code, message = "tricircle.marker_not_found", "Volume %(marker)s could not be found."


class SnapshotMarkerNotFound(faults.NotFound):
    code, message = "tricircle.marker_not_found", "Snapshot %(marker)s could not be found."


class BackupMarkerNotFound(faults.NotFound):
    code, message = "tricircle.marker_not_found", "Backup %(marker)s could not be found."


def _collection(name: str, member: str, sort: dict[str, tuple[str, ...]],
                summary: tuple[str, ...] | None,
                not_found: type[faults.TricircleError]) -> Collection:
    return Collection(name=name, member=member, service_type="volumev3",
                      links_key=f"{name}_links", sort_fields=sort, az_field="availability_zone",
                      marker_key=VOLUME_MARKER.key, summary=summary, down_records=False,
                      marker_not_found=not_found, version_headers=("OpenStack-API-Version",),
                      sort_param=True)


# /volumes and /backups show id, name, links: pods are asked for the detail view
# (sort values); the snapshots' index view has the sort values itself.
VOLUMES = _collection("volumes", "volume", VOLUME_SORT, ("id", "name", "links"),
                      VolumeMarkerNotFound)
SNAPSHOTS = _collection("snapshots", "snapshot", SNAPSHOT_SORT, None, SnapshotMarkerNotFound)
BACKUPS = _collection("backups", "backup", BACKUP_SORT, ("id", "name", "links"),
                      BackupMarkerNotFound)
TRANSFER_SORT = {**_COMMON_SORT, "volume_id": ("volume_id",)}


class TransferMarkerNotFound(faults.NotFound):
    code, message = "tricircle.marker_not_found", "Transfer %(marker)s could not be found."


# Transfers: body key "transfers", path /os-volume-transfer (or /volume-transfers)
TRANSFERS = dataclasses.replace(
    _collection("transfers", "transfer", TRANSFER_SORT, ("id", "name", "volume_id", "links"),
                TransferMarkerNotFound), segment="os-volume-transfer", pod_paging=False)


class AttachmentMarkerNotFound(faults.NotFound):
    code, message = "tricircle.marker_not_found", "Attachment %(marker)s could not be found."


class GroupMarkerNotFound(faults.NotFound):
    code, message = "tricircle.marker_not_found", "Group %(marker)s could not be found."


class GroupSnapshotMarkerNotFound(faults.NotFound):
    code = "tricircle.marker_not_found"
    message = "GroupSnapshot %(marker)s could not be found."


# Attachments, groups and group snapshots: few per project; each pod's whole list
# is read (the user's filters and sort passed on), sorted and cut here. The
# attachments' views carry no created_at: attached_at stands in for it.
ATTACHMENTS = dataclasses.replace(
    _collection("attachments", "attachment",
                {"id": ("id",), "status": ("status",), "volume_id": ("volume_id",),
                 "instance": ("instance",), "created_at": ("attached_at",),
                 "attached_at": ("attached_at",)},
                ("id", "status", "instance", "volume_id"), AttachmentMarkerNotFound),
    pod_paging=False)
GROUPS = dataclasses.replace(
    _collection("groups", "group", {**_COMMON_SORT, "availability_zone": ("availability_zone",),
                                    "group_type": ("group_type",)},
                ("id", "name"), GroupMarkerNotFound), pod_paging=False)
GROUP_SNAPSHOTS = dataclasses.replace(
    _collection("group_snapshots", "group_snapshot",
                {**_COMMON_SORT, "group_id": ("group_id",)}, ("id", "name"),
                GroupSnapshotMarkerNotFound), pod_paging=False)


class MessageMarkerNotFound(faults.NotFound):
    code, message = "tricircle.marker_not_found", "Message %(marker)s could not be found."


# Messages: Cinder's index view is the full one (no /detail); whole lists per pod.
MESSAGES = dataclasses.replace(
    _collection("messages", "message",
                {"id": ("id",), "created_at": ("created_at",), "event_id": ("event_id",),
                 "resource_type": ("resource_type",), "resource_uuid": ("resource_uuid",),
                 "message_level": ("message_level",), "request_id": ("request_id",)},
                None, MessageMarkerNotFound), pod_paging=False)
BY_RESOURCE = {"volume": VOLUMES, "snapshot": SNAPSHOTS, "backup": BACKUPS,
               "transfer": TRANSFERS, "attachment": ATTACHMENTS, "group": GROUPS,
               "group_snapshot": GROUP_SNAPSHOTS, "message": MESSAGES}


def transfers_at(segment: str) -> Collection:
    """The transfer collection under either of its URLs."""
    return dataclasses.replace(TRANSFERS, segment=segment)
