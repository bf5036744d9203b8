"""Every URL the gateway serves, on one screen.

Surfaces: /compute (Nova v2.1), /volume (Cinder v3), /image (Glance v2),
/network (Neutron v2.0), /v1.0 (admin API: pods, bindings, routings, jobs).
Within a surface, calls the gateway has no special handling for fall through to
the surface's pass-through handler: never a 404 for a call a pod would serve.
"""

from __future__ import annotations

from aiohttp import web

from tricircle.api import root
from tricircle.api.compute import lists

# (method, path, handler). Order matters only where aiohttp resolves
# overlapping patterns: specific routes first, catch-alls last.
ROUTES: list[tuple[str, str, object]] = [
    ("GET", "/", root.versions),
    # ---- admin API /v1.0 (tricircle.api.admin) --------------------------------
    # ---- compute /compute (tricircle.api.compute) -----------------------------
    # compute-lists (before compute-core: "/servers/detail" must win over "/servers/{id}")
    ("GET", "/compute/v2.1/servers", lists.servers_index),
    ("GET", "/compute/v2.1/servers/detail", lists.servers_detail),
]


def setup(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)  # type: ignore[arg-type]
