"""Every URL the gateway serves, on one screen.

Surfaces: /compute (Nova v2.1), /volume (Cinder v3), /image (Glance v2),
/network (Neutron v2.0), /v1.0 (admin API: pods, bindings, routings, jobs, audits).
Within a surface, calls the gateway has no special handling for fall through to
the surface's pass-through handler: never a 404 for a call a pod would serve.
"""

from __future__ import annotations

from aiohttp import web

from tricircle.api import root
from tricircle.api.admin import audits as admin_audits
from tricircle.api.admin import bindings as admin_bindings
from tricircle.api.admin import jobs as admin_jobs
from tricircle.api.admin import pods as admin_pods
from tricircle.api.admin import root as admin_root
from tricircle.api.admin import routings as admin_routings
from tricircle.api.compute import (
    admin_lists,
    availability_zones,
    flavors,
    interfaces,
    keypairs,
    lists,
    os_volumes,
    passthrough,
    replicated,
    servers,
    versions,
)
from tricircle.api.compute import images as compute_images
from tricircle.api.image import images
from tricircle.api.network import proxy as network_proxy
from tricircle.api.volume import backends as volume_backends
from tricircle.api.volume import lists as volume_lists
from tricircle.api.volume import passthrough as volume_passthrough
from tricircle.api.volume import types as volume_types
from tricircle.api.volume import versions as volume_versions
from tricircle.api.volume import volumes
from tricircle.resources import (
    ATTACHMENT,
    BACKUP,
    GROUP,
    GROUP_SNAPSHOT,
    MESSAGE,
    SNAPSHOT,
    TRANSFER,
    VOLUME,
)
from tricircle.volumes import collections as volume_collections

# A server id (dashed UUID; anything else falls through to a pod, which answers
# Nova's own 404) and a legacy URL's project id (Keystone: 32 hex digits).
_SERVER = "{server_id:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}}"
_PROJECT = "{project_id:[0-9a-fA-F]{32}}"
_UUID = "{id:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}}"


def _volume_routes() -> list[tuple[str, str, object]]:
    """Cinder's volumes, snapshots and backups, with and without the project id
    in the URL (``/volume/v3/<project_id>/volumes``, ``/volume/v3/volumes``)."""
    routes: list[tuple[str, str, object]] = []
    for prefix in ("/volume/v3", f"/volume/v3/{_PROJECT}"):
        # issue 5: groups route by their row, attachments by theirs (or are found)
        routes += [("POST", f"{prefix}/groups/action", volume_backends.group_action)]
        for resource in (VOLUME, SNAPSHOT, BACKUP, ATTACHMENT, GROUP, GROUP_SNAPSHOT):
            base = f"{prefix}/{resource.collection}"
            routes += [
                ("GET", base, volume_lists.listing(resource, detail=False)),
                ("GET", f"{base}/detail", volume_lists.listing(resource, detail=True)),
                ("POST", base, volumes.create(resource)),
                ("*", f"{base}/{_UUID}", volumes.member(resource)),
                ("*", f"{base}/{_UUID}/{{tail:.+}}", volumes.member(resource)),
            ]
        routes.append(("GET", f"{prefix}/volumes/summary", volume_lists.summary))
        routes.append(("GET", f"{prefix}/limits", volume_lists.limits))
        for segment in ("os-volume-transfer", "volume-transfers"):  # the latter 3.55+
            base, listed = f"{prefix}/{segment}", volume_collections.transfers_at(segment)
            routes += [
                ("GET", base, volume_lists.listing(TRANSFER, detail=False, collection=listed)),
                ("GET", f"{base}/detail",
                 volume_lists.listing(TRANSFER, detail=True, collection=listed)),
                ("POST", base, volumes.create(TRANSFER)),
                ("POST", f"{base}/{_UUID}/accept", volumes.accept),
                ("*", f"{base}/{_UUID}", volumes.member(TRANSFER)),
            ]
        # messages (3.3+): listed over the pods, one found in the pod that wrote it
        routes += [("GET", f"{prefix}/messages",
                    volume_lists.listing(MESSAGE, detail=False)),
                   ("*", f"{prefix}/messages/{_UUID}", volumes.member(MESSAGE))]
        # adopting backend volumes/snapshots: the pod of the AZ, host or volume named
        for manage_path, handler in (
                ("manageable_volumes", volume_backends.manageable_volumes),
                ("manageable_volumes/detail", volume_backends.manageable_volumes),
                ("os-volume-manage", volume_backends.manageable_volumes),
                ("manageable_snapshots", volume_backends.manageable_snapshots),
                ("manageable_snapshots/detail", volume_backends.manageable_snapshots),
                ("os-snapshot-manage", volume_backends.manageable_snapshots)):
            routes.append(("*", f"{prefix}/{manage_path}", handler))
        routes += [("GET", f"{prefix}/os-availability-zone",
                    volume_passthrough.availability_zones),
                   ("GET", f"{prefix}/types", volume_types.read),
                   ("GET", f"{prefix}/types/{{tail:.+}}", volume_types.read),
                   ("POST", f"{prefix}/types", volume_types.write),
                   ("*", f"{prefix}/types/{{tail:.+}}", volume_types.write),
                   ("GET", f"{prefix}/group_types", volume_types.read),
                   ("GET", f"{prefix}/group_types/{{tail:.+}}", volume_types.read),
                   ("POST", f"{prefix}/group_types", volume_types.group_write),
                   ("*", f"{prefix}/group_types/{{tail:.+}}", volume_types.group_write)]
    return routes


# (method, path, handler). Order matters only where aiohttp resolves
# overlapping patterns: specific routes first, catch-alls last.
ROUTES: list[tuple[str, str, object]] = [
    ("GET", "/", root.versions),
    # ---- admin API /v1.0 (tricircle.api.admin) --------------------------------
    ("GET", "/v1.0", admin_root.version),
    ("GET", "/v1.0/", admin_root.version),
    ("GET", "/v1.0/pods", admin_pods.index),
    ("POST", "/v1.0/pods", admin_pods.create),
    ("GET", "/v1.0/pods/{pod}", admin_pods.show),
    ("PUT", "/v1.0/pods/{pod}", admin_pods.update),
    ("DELETE", "/v1.0/pods/{pod}", admin_pods.delete),
    ("GET", "/v1.0/bindings", admin_bindings.index),
    ("POST", "/v1.0/bindings", admin_bindings.create),
    ("GET", "/v1.0/bindings/{id}", admin_bindings.show),
    ("PUT", "/v1.0/bindings/{id}", admin_bindings.update),
    ("DELETE", "/v1.0/bindings/{id}", admin_bindings.delete),
    ("GET", "/v1.0/routings", admin_routings.index),
    ("POST", "/v1.0/routings", admin_routings.create),
    ("GET", "/v1.0/routings/{id}", admin_routings.show),
    ("PUT", "/v1.0/routings/{id}", admin_routings.update),
    ("DELETE", "/v1.0/routings/{id}", admin_routings.delete),
    ("GET", "/v1.0/jobs", admin_jobs.index),
    ("POST", "/v1.0/jobs", admin_jobs.create),
    ("GET", "/v1.0/jobs/{id}", admin_jobs.show),
    ("PUT", "/v1.0/jobs/{id}", admin_jobs.redo),
    ("DELETE", "/v1.0/jobs/{id}", admin_jobs.delete),
    ("GET", "/v1.0/audits", admin_audits.index),
    ("POST", "/v1.0/audits", admin_audits.create),
    ("GET", "/v1.0/audits/{id}", admin_audits.show),
    # ---- compute /compute (tricircle.api.compute) -----------------------------
    # compute-lists (before compute-core: "/servers/detail" must win over "/servers/{id}")
    ("GET", "/compute/v2.1/servers", lists.servers_index),
    ("GET", "/compute/v2.1/servers/detail", lists.servers_detail),
    ("GET", f"/compute/v2.1/{_PROJECT}/servers", lists.servers_index),
    ("GET", f"/compute/v2.1/{_PROJECT}/servers/detail", lists.servers_detail),
    # Nova's image proxy over the image registry (tricircle.api.compute.images)
    *[(method, prefix + path, handler)
      for prefix in ("/compute/v2.1", f"/compute/v2.1/{_PROJECT}")
      for method, path, handler in (
          ("GET", "/images", compute_images.index),
          ("GET", "/images/detail", compute_images.detail),
          ("*", "/images/{image_id}", compute_images.member),
          ("*", "/images/{image_id}/{tail:.+}", compute_images.member))],
    *[(method, prefix + path, handler)
      for prefix in ("/compute/v2.1", f"/compute/v2.1/{_PROJECT}")
      for method, path, handler in (
          ("GET", "/flavors", replicated.read),
          ("GET", "/flavors/{tail:.+}", replicated.read),
          ("POST", "/flavors", flavors.write),
          ("*", "/flavors/{tail:.+}", flavors.write),
          ("GET", "/os-keypairs", replicated.read),
          ("GET", "/os-keypairs/{name}", replicated.read),
          ("POST", "/os-keypairs", keypairs.write),
          ("DELETE", "/os-keypairs/{name}", keypairs.write),
          ("GET", "/os-availability-zone", availability_zones.index),
          ("GET", "/os-availability-zone/detail", availability_zones.detail),
          ("GET", "/os-hypervisors", admin_lists.hypervisors),
          ("GET", "/os-hypervisors/detail", admin_lists.hypervisors),
          ("GET", "/os-hypervisors/statistics", admin_lists.hypervisor_statistics),
          ("GET", "/os-hypervisors/{name}/{what:search|servers}", admin_lists.hypervisor_search),
          ("GET", "/os-hypervisors/{id}", admin_lists.hypervisor_show),
          ("GET", "/os-hypervisors/{id}/uptime", admin_lists.hypervisor_show),
          ("GET", "/os-services", admin_lists.services),
          ("GET", "/os-aggregates", admin_lists.aggregates),
          ("GET", "/os-aggregates/{id}", admin_lists.aggregate_show),
          ("POST", "/os-aggregates", admin_lists.aggregate_create),
          ("PUT", "/os-aggregates/{id}", admin_lists.aggregate_change),
          ("DELETE", "/os-aggregates/{id}", admin_lists.aggregate_change),
          ("POST", "/os-aggregates/{id}/{tail:action}", admin_lists.aggregate_change),
          ("PUT", "/os-services/{id}", admin_lists.service_change),
          ("DELETE", "/os-services/{id}", admin_lists.service_change),
          ("GET", "/os-hosts", admin_lists.hosts),
          ("GET", "/os-hosts/{host}", admin_lists.host_member),
          ("PUT", "/os-hosts/{host}", admin_lists.host_member),
          ("GET", "/os-hosts/{host}/{action}", admin_lists.host_member),
          ("GET", "/os-simple-tenant-usage", admin_lists.tenant_usages),
          ("GET", "/os-simple-tenant-usage/{tenant_id}", admin_lists.tenant_usages))],
    # compute-core: version documents, server create, everything on one server
    # (routed by its routing row), legacy /v2.1/<project_id>/ URLs, then the
    # catch-all pass-through (last: it matches any path under /compute/v2.1/).
    ("GET", "/compute", versions.root),
    ("GET", "/compute/", versions.root),
    ("GET", "/compute/v2", versions.v20),
    ("GET", "/compute/v2/", versions.v20),
    ("GET", "/compute/v2.1", versions.v21),
    ("GET", "/compute/v2.1/", versions.v21),
    ("POST", "/compute/v2.1/servers", servers.create),
    ("POST", "/compute/v2.1/os-volumes_boot", servers.create),
    # os-interface: top networks/ports realised in the server's pod (issue 4)
    *[(method, f"{prefix}/servers/{_SERVER}/os-interface{tail}", handler)
      for prefix in ("/compute/v2.1", f"/compute/v2.1/{_PROJECT}")
      for method, tail, handler in (("POST", "", interfaces.attach),
                                    ("GET", "", interfaces.read),
                                    ("GET", "/{port_id}", interfaces.read),
                                    ("DELETE", "/{port_id}", interfaces.detach))],
    ("*", f"/compute/v2.1/servers/{_SERVER}", servers.member),
    ("*", f"/compute/v2.1/servers/{_SERVER}/{{tail:.+}}", servers.member),
    ("POST", f"/compute/v2.1/{_PROJECT}/servers", servers.create),
    ("*", f"/compute/v2.1/{_PROJECT}/servers/{_SERVER}", servers.member),
    ("*", f"/compute/v2.1/{_PROJECT}/servers/{_SERVER}/{{tail:.+}}", servers.member),
    # Nova's proxy to its pod's Cinder: a volume's calls go to the volume's pod
    ("GET", "/compute/v2.1/os-volumes", os_volumes.index),
    ("GET", "/compute/v2.1/os-volumes/detail", os_volumes.index),
    ("*", "/compute/v2.1/os-volumes/{volume_id:[0-9a-fA-F-]{36}}", os_volumes.member),
    ("*", "/compute/v2.1/{tail:.*}", passthrough.forward),
    # ---- volume /volume (tricircle.api.volume: Cinder v3) ---------------------
    ("GET", "/volume", volume_versions.root),
    ("GET", "/volume/", volume_versions.root),
    ("GET", "/volume/v3", volume_versions.v3),
    ("GET", "/volume/v3/", volume_versions.v3),
    *_volume_routes(),
    ("*", "/volume/v3/{tail:.*}", volume_passthrough.forward),
    # ---- image /image (tricircle.api.image: one registry over the pods' Glance) --
    ("GET", "/image", images.versions),
    ("GET", "/image/", images.versions),
    ("GET", "/image/versions", images.versions),
    ("GET", "/image/v2/images", images.index),
    ("POST", "/image/v2/images", images.create),
    ("*", "/image/v2/images/{image_id}", images.member),
    ("*", "/image/v2/images/{image_id}/{tail:.+}", images.member),
    ("*", "/image/{tail:.+}", images.forward),
    # ---- network /network (tricircle.api.network: central Neutron) ------------
    ("GET", "/network", network_proxy.versions),
    ("GET", "/network/", network_proxy.versions),
    ("*", "/network/{tail:.+}", network_proxy.forward),
]


def setup(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)  # type: ignore[arg-type]
