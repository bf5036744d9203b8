"""Compute resources (Nova v2.1)."""

from __future__ import annotations

from tricircle.resources.base import ListMerge, MetadataMarker, Resource

# Server metadata item carrying the top id on the bottom server. Metadata works at
# every microversion (server tags need 2.52 in the create body).
SERVER_MARKER = MetadataMarker(key="tricircle_top_id", member_key="server")

SERVER = Resource(
    name="server",
    surface="compute",
    service_type="compute",
    surface_path="/compute/v2.1",
    collection="servers",
    member_key="server",
    routing_type="server",
    placement="scheduler",
    id_source="bottom",
    marker=SERVER_MARKER,
    az_fields=("availability_zone", "OS-EXT-AZ:availability_zone"),
    # image/flavor ids are the same in every pod for now (imageRef passes through)
    id_fields=(),
    list_merge=ListMerge(links_key="servers_links",
                         default_sort=(("created_at", "desc"), ("id", "desc"))),
    not_found="Instance %(id)s could not be found.",
)
