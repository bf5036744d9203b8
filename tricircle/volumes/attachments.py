"""Where a volume attachment (Cinder's v3 attachments API, 3.27+) or a user
message (3.3+) is: resources a pod makes on its own (``extra["discovered"]``).

Attachments made through the gateway (``POST /attachments``) get a routing row
in their volume's pod when created. Most attachments are made by a pod's own
Nova when a server attaches a volume, and messages by the pod's Cinder when
something fails: the gateway never sees them. The first call naming such an id
asks the pods holding the caller's volumes (with the caller's token, in
parallel) and records a row for the pod that knows it, under the project that
owns the volume it is about (else the caller's). Unknown everywhere: Cinder's
404.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from tricircle.clients.pod import PodClients
from tricircle.context import RequestContext
from tricircle.db.engine import Database
from tricircle.fanout.gather import gather
from tricircle.fanout.routed import RoutedServerSource
from tricircle.proxy.locate import Located, Locator, NotFoundInGateway
from tricircle.resources import VOLUME, Resource
from tricircle.routing import table

LOG = logging.getLogger(__name__)


async def find(locator: Locator, resource: Resource, ident: str, ctx: RequestContext, *,
               discover: Callable[[], Awaitable[bool]] | None = None) -> Located:
    """The row of `ident`; an attachment no row knows is looked up in the pods
    (`discover`, see `discover`). Raises NotFoundInGateway."""
    try:
        return await locator.find(resource, ident, ctx)
    except NotFoundInGateway:
        if not resource.extra.get("discovered") or discover is None or not await discover():
            raise
        return await locator.find(resource, ident, ctx)


async def discover(db: Database, pods: PodClients, volume_pods: RoutedServerSource,
                   resource: Resource, ident: str, ctx: RequestContext, *, path_prefix: str,
                   headers: Mapping[str, str], deadline: float) -> bool:
    """Whether a pod holding the caller's volumes knows `ident` (asked with the
    caller's `headers`); its row is then recorded."""
    listed = await volume_pods.pods(None if ctx.is_admin else ctx.project_id)
    regions = [p.region for p in listed if p.usable]
    path = f"{path_prefix}/{resource.collection}/{ident}"

    async def probe(region: str) -> dict[str, Any] | None:
        client = await pods.get(region)
        resp = await client.request("volumev3", "GET", path, headers=dict(headers),
                                    timeout=deadline)
        if resp.status != 200:
            return None
        doc = json.loads(resp.body)
        found = doc.get(resource.member_key) if isinstance(doc, dict) else None
        return found if isinstance(found, dict) else None

    results = await gather(regions, probe, deadline=deadline)
    hit = next(((region, r.value) for region, r in zip(regions, results, strict=True)
                if r.ok and r.value is not None), None)
    if hit is None:
        return False
    region, found = hit
    async with db.session() as s:
        owner = await _volume_owner(s, found.get(resource.extra.get("volume_field", "")))
        try:
            await table.create_route(s, top_id=ident, bottom_id=ident, pod_id=region,
                                     project_id=owner or ctx.project_id or "",
                                     resource_type=resource.routing_type)
        except table.RoutingConflict:
            pass  # registered meanwhile
    LOG.info("%s %s found in %s and registered", resource.name, ident, region)
    return True


async def _volume_owner(s: Any, volume_id: Any) -> str | None:
    if not isinstance(volume_id, str) or not volume_id:
        return None
    rows = await table.lookup(s, volume_id, VOLUME.routing_type, project_id=None)
    return rows[0].project_id if rows else None
