"""Image resources (Glance v2).

Until images follow workloads (the image issue), the image surface is a plain
pass-through to one pod: the lab seeds every pod with the same image ids, so
reads (which the CLI does to resolve image names for `server create`/`list`)
are answered correctly by any pod.
"""

from __future__ import annotations

from tricircle.resources.base import Surface

IMAGE = Surface(
    name="image",
    service_type="image",
    surface_path="/image",
    dialect="image",
    request_id_headers=("X-OpenStack-Request-ID",),
)
