"""Creates placed by the scheduler, with the create protocol of DESIGN.md §6.

1. Validate only what placement needs (JSON well formed, the member object).
2. Place: filters and weighers choose a pod (`tricircle.scheduler`).
3. Reserve a routing row under a provisional top id (own transaction, so a
   crash from here on leaves a reservation the repair can see).
4. Create in the pod, carrying the provisional id as a marker (server metadata)
   and the pod's own AZ name.
5. Bind: top id = bottom id = the id the pod returned.

If the pod refuses (any non-2xx), the reservation is released and the pod's
error is passed back. If the pod cannot be reached or its answer is unusable,
the reservation stays: `tricircle.routing.repair` later binds it by finding
the marker in the pod, or releases it. Nothing is created without a row that
leads to it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tricircle import faults
from tricircle.api import keys
from tricircle.clients.pod import PodClients, PodRequestError, PodResponse
from tricircle.context import RequestContext
from tricircle.db.engine import Database
from tricircle.distributed import flavors, keypairs
from tricircle.identity.service_auth import ServiceAuth
from tricircle.images import replicate as images
from tricircle.networking import boot as networking
from tricircle.networking import plan
from tricircle.pods.registry import PodInfo
from tricircle.proxy import microversion
from tricircle.proxy.forward import Forwarder, Target, pod_path, request_headers
from tricircle.proxy.locate import Locator
from tricircle.resources.base import Resource
from tricircle.routing import repair, table
from tricircle.scheduler.service import Scheduler
from tricircle.scheduler.spec import RequestSpec

LOG = logging.getLogger(__name__)


def parse_create_body(body: bytes, member_key: str) -> dict[str, Any]:
    """The parsed body; raises faults.MalformedBody / faults.BadRequest as Nova words them."""
    try:
        doc = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise faults.MalformedBody() from exc
    if not isinstance(doc, dict) or member_key not in doc:
        raise faults.BadRequest("'%(key)s' is a required property", key=member_key)
    member = doc[member_key]
    if not isinstance(member, dict):
        raise faults.BadRequest("Invalid input for field/attribute %(key)s. Value: %(value)s. "
                                "%(value)r is not of type 'object'", key=member_key,
                                value=member)
    return doc


def _requested_az(member: dict[str, Any]) -> str | None:
    az = member.get("availability_zone")
    if not isinstance(az, str) or not az:
        return None  # absent, or a wrong type the pod's validation will refuse
    return az.partition(":")[0]


def _boot_from_volume(member: dict[str, Any]) -> bool:
    bdms = member.get("block_device_mapping_v2")
    if not isinstance(bdms, list):
        return False
    return any(isinstance(b, dict) and str(b.get("boot_index")) == "0"
               and b.get("destination_type") == "volume" for b in bdms)


def request_spec(ctx: RequestContext, request: web.Request,
                 member: dict[str, Any], surface: str,
                 hints: Any = None) -> RequestSpec:
    try:
        version = microversion.parse(microversion.requested(request.headers, surface))
    except ValueError:
        version = None  # malformed: the pod answers Nova's 400
    group = hints.get("group") if isinstance(hints, dict) else None
    return RequestSpec(project_id=ctx.project_id or "", availability_zone=_requested_az(member),
                       microversion=version, surface=surface,
                       server_group=group if isinstance(group, str) and group else None,
                       images=tuple(images.boot_images(member)))


@dataclasses.dataclass(frozen=True, slots=True)
class Pinned:
    """The pod a create must go to, and the project the created resource belongs
    to when that is the owner of what it names rather than the caller (Cinder: a
    transfer or an attachment belongs to its volume's project, also when an admin
    of another project makes it); None: the caller's project."""

    pod: PodInfo
    owner: str | None = None


# Where a create must go because of what it names (a volume to boot from, the
# volume of a snapshot), or None to let the scheduler choose.
Pin = Callable[[RequestContext, dict[str, Any]], Awaitable[Pinned | None]]
# Work in the chosen pod before the create (e.g. an image replica for a volume).
Prepare = Callable[[RequestContext, PodInfo, dict[str, Any]], Awaitable[None]]


class PinnedElsewhere(faults.BadRequest):
    """The create names resources of one pod but asks for another AZ."""

    code = "tricircle.pinned_elsewhere"
    message = ("The %(what)s must be created in availability zone %(az)s, where the resources "
               "it uses are (pod %(pod)s); availability zone %(asked)s was requested.")


class PlacedCreate:
    """The create of one resource type whose pod the scheduler chooses, or that
    must go to the pod of what it uses (`pin`)."""

    def __init__(self, resource: Resource, db: Database, scheduler: Scheduler,
                 forwarder: Forwarder, locator: Locator, *, pod_timeout: float,
                 service_auth: ServiceAuth, pods: PodClients, pin: Pin | None = None,
                 prepare: Prepare | None = None) -> None:
        self.resource = resource
        self._pin = pin
        self._prepare_pod = prepare
        self._pod_timeout = pod_timeout
        self._auth = service_auth
        self._pods = pods
        self._db = db
        self._scheduler = scheduler
        self._forwarder = forwarder
        self._locator = locator

    async def create(self, request: web.Request, body: bytes) -> web.Response:
        """Place, reserve, create in the pod, bind; the pod's answer, translated."""
        ctx: RequestContext = request[keys.CTX]
        doc = parse_create_body(body, self.resource.member_key)
        member = doc[self.resource.member_key]
        # networks restricted by availability_zone_hints (issue 4) narrow the zones;
        # read once, the networking hook reuses them
        hints = await networking.network_hints(request.app, ctx, doc)
        pod, owner = await self._choose(request, ctx, doc, networking.zones_of(hints))
        before = self._before_boot(ctx, pod, doc, request.app[keys.SERVICES].get("jobs"))
        if _count(member) > 1 and _on_top_networks(request.app, member):
            await before
            return await self._create_each(request, ctx, pod, doc, hints)
        target, resp, _ids = await self._create_in(request, ctx, pod, doc, hints, before,
                                                   owner=owner)
        return await self._forwarder.respond(request, target, resp)

    async def _before_boot(self, ctx: RequestContext, pod: PodInfo, doc: dict[str, Any],
                           engine: Any) -> None:
        """What `pod` needs besides networks: keypair, flavor, images; the prepare hook."""
        await self._ensure_distributed(ctx, pod, doc[self.resource.member_key], engine)
        if self._prepare_pod is not None:
            await self._prepare_pod(ctx, pod, doc)

    async def _prepare_networks(self, request: web.Request, ctx: RequestContext, pod: PodInfo,
                                doc: dict[str, Any], hints: networking.NetworkHints | None,
                                alongside: Awaitable[None] | None
                                ) -> networking.PreparedNetworks | None:
        """The networking hook, at once with `alongside` (independent work in the
        same pod). A failure of either undoes the other's ports; `alongside`'s
        failure is the one raised (it was checked first before they ran at once)."""
        prepare = networking.prepare_networks(request.app, ctx, pod, doc, hints)
        if alongside is None:
            return await prepare
        prepared, done = await asyncio.gather(prepare, alongside, return_exceptions=True)
        if isinstance(done, BaseException):
            if not isinstance(prepared, BaseException):
                await networking.abandon(request.app, ctx, prepared)
            raise done
        if isinstance(prepared, BaseException):
            raise prepared
        return prepared

    async def _create_in(self, request: web.Request, ctx: RequestContext, pod: PodInfo,
                         doc: dict[str, Any], hints: networking.NetworkHints | None = None,
                         alongside: Awaitable[None] | None = None, *,
                         owner: str | None = None
                         ) -> tuple[Target, PodResponse, list[str]]:
        """Reserve, create in `pod`, bind: the pod's answer and the ids created (a
        refusal: none, the reservation released and the ports made for it removed).
        `alongside`: work in the pod done at once with the networking hook; `owner`:
        the project the rows belong to when not the caller's (`Pinned.owner`)."""
        member = doc[self.resource.member_key]
        project = owner or ctx.project_id or ""
        # Networking (issue 4): top networks/ports named in the body are realised in
        # `pod` and the body is rewritten to boot on the bottom ports (None: none named).
        networks = await self._prepare_networks(request, ctx, pod, doc, hints, alongside)
        provisional = str(uuid.uuid4())
        async with self._db.session() as s:
            route = await table.reserve(s, top_id=provisional, pod_id=pod.id,
                                        project_id=project,
                                        resource_type=self.resource.routing_type)
            await repair.enqueue_repair(s, route, pod_timeout=self._pod_timeout)
        self._prepare(doc, pod, provisional)
        target = Target(pod, pod_path(request, self.resource.surface))
        try:
            resp = await self._forwarder.send(request, target, body=json.dumps(doc).encode(),
                                              headers=request_headers(request, ctx))
        except faults.PodUnavailable:
            # the pod may or may not have the server: its ports follow the reservation
            await networking.unsure(request.app, networks, route)
            raise
        if not 200 <= resp.status < 300:
            await self._release(route.id)
            await networking.abandon(request.app, ctx, networks)
            LOG.info("create refused by %s (%d) [%s]; reservation released",
                     pod.region_name, resp.status, ctx.request_id)
            return target, resp, []
        created = _created_id(_json(resp.body), self.resource.member_key)
        await networking.attached(request.app, ctx, networks, created, later=True)
        if _count(member) > 1 or created is None:
            ids = await self._bind_all(route.id, pod, member, provisional, created, ctx,
                                       project)
        else:
            await self._bind(route.id, pod, created, ctx, project)
            ids = [created]
        return target, resp, ids

    async def _create_each(self, request: web.Request, ctx: RequestContext, pod: PodInfo,
                           doc: dict[str, Any], hints: networking.NetworkHints
                           ) -> web.Response:
        """A multiple create on top networks, made as one create per server: each
        boots on its own ports (Nova refuses several servers on one given port).
        Servers are named as Nova names them ("<name>-<n>", from 1); the first is
        made alone (it brings the networks into the pod), the others at once. The
        answer is the first one's (its id, or its reservation id). Fewer than
        ``min_count`` created: those are deleted again and a refusal is the answer."""
        member = doc[self.resource.member_key]
        minimum = member.get("min_count") if isinstance(member.get("min_count"), int) else 1
        first = await self._create_in(request, ctx, pod, self._single(doc, 1), hints)
        if not 200 <= first[1].status < 300:
            return await self._forwarder.respond(request, first[0], first[1])
        rest = await asyncio.gather(*(self._create_in(request, ctx, pod, self._single(doc, n),
                                                      hints)
                                      for n in range(2, _count(member) + 1)))
        made = [i for _t, _r, ids in (first, *rest) for i in ids]
        refused = [(t, r) for t, r, _ids in rest if not 200 <= r.status < 300]
        if 1 + len(rest) - len(refused) < minimum:
            await self._undo(request, ctx, pod, made)
            return await self._forwarder.respond(request, *refused[0])
        return await self._forwarder.respond(request, first[0], first[1])

    def _single(self, doc: dict[str, Any], n: int) -> dict[str, Any]:
        """Server `n` of a multiple create as a create of its own."""
        one: dict[str, Any] = json.loads(json.dumps(doc))
        single = one[self.resource.member_key]
        single.pop("min_count", None)
        single.pop("max_count", None)
        if isinstance(single.get("name"), str):
            single["name"] = f"{single['name']}-{n}"
        return one

    async def _undo(self, request: web.Request, ctx: RequestContext, pod: PodInfo,
                    made: list[str]) -> None:
        """Delete the servers of a multiple create that fell short of min_count."""
        from tricircle.networking import release

        headers = request_headers(request, ctx)
        for server_id in made:
            try:
                client = await self._pods.get(pod.region_name)
                await client.request(self.resource.surface.service_type, "DELETE",
                                     f"/{self.resource.collection}/{server_id}",
                                     headers=headers)
            except PodRequestError as exc:
                LOG.warning("server %s of a failed multiple create not deleted in %s [%s]: "
                            "%s", server_id, pod.region_name, ctx.request_id, exc)
                continue
            async with self._db.session() as s:
                for route in await table.lookup(s, server_id, self.resource.routing_type,
                                                project_id=ctx.project_id or ""):
                    await repair.enqueue_forget(s, route)
                    await release.enqueue_release(s, route)
            self._locator.forget(self.resource, server_id)

    async def _choose(self, request: web.Request, ctx: RequestContext, doc: dict[str, Any],
                      zones: tuple[str, ...] = ()) -> tuple[PodInfo, str | None]:
        """The pod of the resources the create uses (`pin`), else the scheduler's
        choice; and the project owning the new resource if not the caller's
        (`Pinned.owner`). Raises PinnedElsewhere, the pin's 404s, the scheduler's
        errors."""
        member = doc[self.resource.member_key]
        spec = request_spec(ctx, request, member, self.resource.surface.name,
                            doc.get("os:scheduler_hints") or doc.get("OS-SCH-HNT:scheduler_hints"))
        if zones:
            spec = dataclasses.replace(spec, network_zones=zones)
        pinned = await self._pin(ctx, doc) if self._pin is not None else None
        if pinned is not None:
            pod = pinned.pod
            if spec.availability_zone and spec.availability_zone != pod.az_name:
                raise PinnedElsewhere(what=self.resource.name, az=pod.az_name,
                                      pod=pod.region_name, asked=spec.availability_zone)
            if pod.state == "disabled":
                raise faults.PodUnavailable(pod=pod.region_name)
            return pod, pinned.owner
        size_field = self.resource.extra.get("size_field")
        return await self._scheduler.place(spec, ctx, flavor_ref=_str(member.get("flavorRef")),
                                           boot_from_volume=_boot_from_volume(member),
                                           volume_gb=_size(member.get(size_field))
                                           if size_field else None), None

    async def _ensure_distributed(self, ctx: RequestContext, pod: PodInfo,
                                  member: dict[str, Any], engine: Any = None) -> None:
        """The keypair, flavor and images the server names exist in `pod` before it
        boots there (a pod that was down, or added, when they were defined at the
        top; an image whose home is another pod).

        Raises what ensure_keypair and ensure_image raise (400 unknown key or image
        not active, 503 pod unreachable or image copy failed);
        a flavor copy that fails is left to the pod's own answer.
        """
        key_name = member.get("key_name")
        if isinstance(key_name, str) and key_name:
            await keypairs.ensure_keypair(ctx, pod, key_name, pods=self._pods, db=self._db)
        for image_id in images.boot_images(member):  # issue 5: a replica with the same id
            await images.ensure_image(ctx, pod, image_id, db=self._db, pods=self._pods,
                                      service_auth=self._auth, engine=engine)
        flavor_ref = _str(member.get("flavorRef"))
        if not flavor_ref:
            return
        flavor_id = flavor_ref.rstrip("/").rsplit("/", 1)[-1]  # an id or a flavor href
        try:
            await flavors.ensure_flavor(pod, flavor_id, pods=self._pods, db=self._db,
                                        token=await self._auth.token())
        except (flavors.SyncIncomplete, PodRequestError) as exc:
            LOG.warning("flavor %s not copied to %s before boot: %s [%s]", flavor_id,
                        pod.region_name, exc, ctx.request_id)

    def _prepare(self, doc: dict[str, Any], pod: PodInfo, provisional: str) -> None:
        member = doc[self.resource.member_key]
        az = member.get("availability_zone")
        if isinstance(az, str) and az:
            member["availability_zone"] = self._forwarder.az_rewriter(pod).to_pod(az)
        if self.resource.marker is not None:
            self.resource.marker.add(doc, provisional)

    async def _release(self, route_id: int) -> None:
        async with self._db.session() as s:
            await table.release(s, route_id)

    async def _bind_all(self, route_id: int, pod: PodInfo, member: dict[str, Any],
                        provisional: str, created: str | None, ctx: RequestContext,
                        project: str) -> list[str]:
        """Multiple create (max_count) or no id in the answer (return_reservation_id):
        every server carrying the marker gets its row; left to the repair if the
        pod cannot be asked now. Returns the ids bound."""
        try:
            client = await self._pods.get(pod.region_name)
            found = await repair.find_by_marker(
                client, await self._auth.token(), self.resource, provisional,
                project_id=project, name=_str(member.get("name")))
        except PodRequestError as exc:
            LOG.warning("servers of a multiple create in %s not listed [%s]: %s; "
                        "left for repair", pod.region_name, ctx.request_id, exc)
            found = []
        first = created or (found[0] if found else None)
        await self._bind(route_id, pod, first, ctx, project)
        for other in found:
            if other != first:
                await self._add_route(pod, other, project)
        return [first, *(f for f in found if f != first)] if first else []

    async def _add_route(self, pod: PodInfo, created: str, project: str) -> None:
        try:
            async with self._db.session() as s:
                await table.create_route(s, top_id=created, bottom_id=created, pod_id=pod.id,
                                         project_id=project,
                                         resource_type=self.resource.routing_type)
        except table.RoutingConflict:
            pass  # bound meanwhile (repair)

    async def _bind(self, route_id: int, pod: PodInfo, created: str | None,
                    ctx: RequestContext, project: str) -> None:
        if not created:
            # e.g. return_reservation_id: the repair binds it by its marker
            LOG.warning("create in %s returned no id [%s]; left for repair",
                        pod.region_name, ctx.request_id)
            return
        try:
            async with self._db.session() as s:
                await table.bind(s, route_id, created, top_id=created)
        except table.RouteNotFound:
            # the repair released the reservation while the pod was slow
            await self._add_route(pod, created, project)
        LOG.info("%s %s created in %s [%s]", self.resource.name, created, pod.region_name,
                 ctx.request_id)


def _on_top_networks(app: web.Application, member: dict[str, Any]) -> bool:
    """Whether the create boots on top networks/ports (the gateway makes the ports)."""
    return plan.requested_networks(member) is not None and networking.configured(app)


def _count(member: dict[str, Any]) -> int:
    counts = [member.get("max_count"), member.get("min_count")]
    return max([c for c in counts if isinstance(c, int)] or [1])


def _size(value: Any) -> int | None:
    """A positive size in GB from a create body (Cinder takes "1" as well as 1)."""
    try:
        size = int(value)
    except (TypeError, ValueError):
        return None
    return size if size > 0 else None


def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _created_id(doc: Any, member_key: str) -> str | None:
    member = doc.get(member_key) if isinstance(doc, dict) else None
    created = member.get("id") if isinstance(member, dict) else None
    return created if isinstance(created, str) and created else None


async def send_reserved(forwarder: Forwarder, db: Database, request: web.Request,
                        target: Target, route: table.Route, *, body: bytes,
                        created: Callable[[PodResponse], str | None],
                        keep_if_unreachable: bool = True) -> PodResponse:
    """Steps 4-5 of the create protocol for a row already reserved (`route`):
    send the create to `target`; a refusal (non-2xx) releases the reservation,
    an accepted create binds it to the id `created` reads from the answer (None:
    left for the repair). Raises faults.PodUnavailable; the reservation then
    stays for the repair, or is released (`keep_if_unreachable` False: for ids
    the gateway chose, which a later lookup finds by id)."""
    try:
        resp = await forwarder.send(request, target, body=body)
    except faults.PodUnavailable:
        if not keep_if_unreachable:
            async with db.session() as s:
                await table.release(s, route.id, top_id=route.top_id)
        raise
    async with db.session() as s:
        if not 200 <= resp.status < 300:
            await table.release(s, route.id, top_id=route.top_id)
        elif (ident := created(resp)) is not None:
            await table.bind(s, route.id, ident)
    return resp
