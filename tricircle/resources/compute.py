"""Compute resources (Nova v2.1)."""

from __future__ import annotations

from tricircle.resources.base import ListMerge, MetadataMarker, Resource, Surface

# Server metadata item carrying the top id on the bottom server. Metadata works at
# every microversion (server tags need 2.52 in the create body).
SERVER_MARKER = MetadataMarker(key="tricircle_top_id", member_key="server")

COMPUTE = Surface(
    name="compute",
    service_type="compute",
    surface_path="/compute/v2.1",
    dialect="compute",
    request_id_headers=("X-OpenStack-Request-ID", "X-Compute-Request-ID"),
    markers=(SERVER_MARKER,),
    az_fields=("availability_zone", "OS-EXT-AZ:availability_zone"),
)

SERVER = Resource(
    name="server",
    surface=COMPUTE,
    collection="servers",
    member_key="server",
    routing_type="server",
    placement="scheduler",
    id_source="bottom",
    marker=SERVER_MARKER,
    # image/flavor ids are the same in every pod for now (imageRef passes through)
    id_fields=(),
    list_merge=ListMerge(links_key="servers_links",
                         default_sort=(("created_at", "desc"), ("id", "desc"))),
    not_found="Instance %(id)s could not be found.",
)
