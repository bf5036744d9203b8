"""Volume resources (Cinder v3).

Volumes, snapshots and backups: the pod creates the id, top id = bottom id
(DESIGN.md §6). Volumes and snapshots carry the top id as a metadata item
(`tricircle_top_id`), hidden from every answer; backups accept metadata only
from microversion 3.43, so they carry no marker (a backup create whose answer
is lost is released by the repair, see docs/volumes.md).

Cinder's URLs may carry the project id (``/v3/<project_id>/volumes``) or not
(``/v3/volumes``, any microversion on the pods the gateway supports): the
surface prefix is ``/volume/v3`` and the pod path keeps whichever form the
client used.
"""

from __future__ import annotations

from tricircle.resources.base import ListMerge, MetadataMarker, Resource, Surface

VOLUME_MARKER = MetadataMarker(key="tricircle_top_id", member_key="volume")
SNAPSHOT_MARKER = MetadataMarker(key="tricircle_top_id", member_key="snapshot")

VOLUME_SURFACE = Surface(
    name="volume",
    service_type="volumev3",
    surface_path="/volume/v3",
    dialect="volume",
    # Cinder sends both, with the same value, on most answers
    request_id_headers=("X-OpenStack-Request-ID", "X-Compute-Request-ID"),
    markers=(VOLUME_MARKER,),   # one key: hides the snapshots' marker as well
    az_fields=("availability_zone",),
)

_DEFAULT_SORT = (("created_at", "desc"), ("id", "desc"))

VOLUME = Resource(
    name="volume",
    surface=VOLUME_SURFACE,
    collection="volumes",
    member_key="volume",
    routing_type="volume",
    placement="scheduler",
    id_source="bottom",
    marker=VOLUME_MARKER,
    list_merge=ListMerge(links_key="volumes_links", default_sort=_DEFAULT_SORT),
    not_found="Volume %(id)s could not be found.",
    # Cinder filters lists by metadata; `size` is what the scheduler weighs
    extra={"marker_filter": True, "size_field": "size"},
)

SNAPSHOT = Resource(
    name="snapshot",
    surface=VOLUME_SURFACE,
    collection="snapshots",
    member_key="snapshot",
    routing_type="volume_snapshot",
    placement="colocated",   # in the pod of its volume
    id_source="bottom",
    marker=SNAPSHOT_MARKER,
    list_merge=ListMerge(links_key="snapshots_links", default_sort=_DEFAULT_SORT),
    not_found="Snapshot %(id)s could not be found.",
    extra={"marker_filter": True},
)

BACKUP = Resource(
    name="backup",
    surface=VOLUME_SURFACE,
    collection="backups",
    member_key="backup",
    routing_type="volume_backup",
    placement="colocated",   # in the pod of its volume
    id_source="bottom",
    marker=None,
    list_merge=ListMerge(links_key="backups_links", default_sort=_DEFAULT_SORT),
    not_found="Backup %(id)s could not be found.",
)

# Volume transfers live in the volume's pod; accepted by another project, which
# then owns the volume. ``/os-volume-transfer`` (and ``/volume-transfers``, 3.55+).
TRANSFER = Resource(
    name="transfer",
    surface=VOLUME_SURFACE,
    collection="os-volume-transfer",
    member_key="transfer",
    routing_type="volume_transfer",
    placement="colocated",
    id_source="bottom",
    marker=None,
    list_merge=ListMerge(links_key="transfers_links", default_sort=_DEFAULT_SORT),
    not_found="Transfer %(id)s could not be found.",
)

# Attachments (v3 attachments API, 3.27+): in the pod of their volume. The ones a
# pod's Nova made (a server's volume attach) get their row when first asked for.
ATTACHMENT = Resource(
    name="attachment",
    surface=VOLUME_SURFACE,
    collection="attachments",
    member_key="attachment",
    routing_type="volume_attachment",
    placement="colocated",
    id_source="bottom",
    marker=None,
    list_merge=ListMerge(links_key="attachments_links", default_sort=_DEFAULT_SORT),
    not_found="Volume attachment could not be found with filter: attachment_id = %(id)s.",
    # below 3.27 Cinder has no attachments API; ones a pod's Nova made are found
    extra={"api_version": "volume 3.27", "discovered": True, "volume_field": "volume_id"},
)

# User messages (3.3+): written by a pod's Cinder (a failed create, extend, ...),
# found in the pods when first named, listed over the pods holding the volumes.
MESSAGE = Resource(
    name="message",
    surface=VOLUME_SURFACE,
    collection="messages",
    member_key="message",
    routing_type="volume_message",
    placement="colocated",
    id_source="bottom",
    marker=None,
    list_merge=ListMerge(links_key="messages_links", default_sort=_DEFAULT_SORT),
    not_found="Message %(id)s could not be found.",
    extra={"api_version": "volume 3.3", "discovered": True, "volume_field": "resource_uuid"},
)

# Generic volume groups (3.13+): placed like a volume (their AZ), and the volumes
# made in a group, the group's snapshots and groups made from them follow it.
GROUP = Resource(
    name="group",
    surface=VOLUME_SURFACE,
    collection="groups",
    member_key="group",
    routing_type="volume_group",
    placement="scheduler",
    id_source="bottom",
    marker=None,
    list_merge=ListMerge(links_key="groups_links", default_sort=_DEFAULT_SORT),
    not_found="Group %(id)s could not be found.",
    extra={"api_version": "volume 3.13"},
)

GROUP_SNAPSHOT = Resource(
    name="group_snapshot",
    surface=VOLUME_SURFACE,
    collection="group_snapshots",
    member_key="group_snapshot",
    routing_type="volume_group_snapshot",
    placement="colocated",   # in the pod of its group
    id_source="bottom",
    marker=None,
    list_merge=ListMerge(links_key="group_snapshots_links", default_sort=_DEFAULT_SORT),
    not_found="GroupSnapshot %(id)s could not be found.",
    extra={"api_version": "volume 3.14"},
)

VOLUME_RESOURCES = (VOLUME, SNAPSHOT, BACKUP, TRANSFER, ATTACHMENT, GROUP, GROUP_SNAPSHOT,
                    MESSAGE)
