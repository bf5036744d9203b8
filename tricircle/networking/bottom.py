"""Bottom copies in one pod, made with the create protocol (DESIGN.md §6).

`BottomNetworking.ensure(...)`: reserve a routing row (top id = central id,
bottom id empty) in its own transaction -> adopt a copy the pod already has
(marked with the top id; looked up first, only after the pod refused a create,
or not at all, as the caller knows), else create one marked with the top id in
its description (service account, admin in the pod) -> bind -> tag it with the
top id (now, or while a boot goes on: `flush_tags`). A row already bound is reused (idempotent:
a second server on the same network in the same pod reuses the bottom network
and subnet). A reservation left by another request or a crash is resolved by
looking the resource up by its marker. A refused or failed create releases the
reservation; whatever the pod made anyway carries the marker and is adopted by
the next ensure.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from tricircle import faults
from tricircle.clients.pod import PodClient, PodRequestError
from tricircle.db.engine import Database
from tricircle.pods.registry import PodInfo
from tricircle.routing import table

LOG = logging.getLogger(__name__)
# How long a request waits for another one's reservation before taking it over.
_WAIT_STEPS, _WAIT_STEP = 20, 0.5
COLLECTIONS = {"network": "networks", "subnet": "subnets", "port": "ports",
               "security_group": "security-groups"}
# Copies made by cross-pod L3 (networking.routers); kept apart from COLLECTIONS,
# whose reverse mapping names the types a top update reaches.
L3_COLLECTIONS = {"router": "routers", "floatingip": "floatingips", "shadow_port": "ports"}


def collection(resource_type: str) -> str:
    """The Neutron collection of a routing type."""
    return COLLECTIONS.get(resource_type) or L3_COLLECTIONS[resource_type]


class BottomRefused(faults.TricircleError):
    status, code = 500, "tricircle.bottom_networking_failed"
    message = "Networking in pod %(pod)s failed: %(reason)s"


class PodNeutron:
    """JSON calls to one pod's Neutron with the service account's token."""

    def __init__(self, client: PodClient, token: str, pod: PodInfo) -> None:
        self._client, self._token, self.pod = client, token, pod

    async def call(self, method: str, path: str, body: Any = None, *,
                   missing_ok: bool = False) -> Any:
        """The answer's JSON (None for 204 or a tolerated 404). Raises
        faults.PodUnavailable, BottomRefused (any other non-2xx)."""
        headers = {"X-Auth-Token": self._token, "Accept": "application/json"}
        try:
            resp = await self._client.request("network", method, "/v2.0" + path,
                                              headers=headers, json=body)
        except PodRequestError as exc:
            raise faults.PodUnavailable(pod=self.pod.region_name) from exc
        if resp.status == 404 and missing_ok:
            return None
        if not 200 <= resp.status < 300:
            raise BottomRefused(pod=self.pod.region_name,
                                reason=f"{method} {path}: {resp.status} {resp.body[:300]!r}")
        return resp.json()

    async def find_tagged(self, resource_type: str, top_id: str) -> str | None:
        """The id of the bottom resource marked with `top_id`, if any."""
        path = collection(resource_type)
        # the description is set in the create itself (the tag only just after):
        # one query finds every copy, even one whose tagging was cut short
        found = await self.call("GET", f"/{path}?description={top_id}&fields=id")
        items = found.get(path.replace("-", "_"), []) if found else []
        return str(items[0]["id"]) if items else None

    async def tag(self, resource_type: str, bottom_id: str, top_id: str) -> None:
        """Tag a bottom resource with its top id (a pod refuses tags in a POST)."""
        await self.call("PUT", f"/{collection(resource_type)}/{bottom_id}/tags",
                        {"tags": [top_id]})


class BottomNetworking:
    """Ensures bottom copies of top objects in one pod for one project."""

    def __init__(self, db: Database, neutron: PodNeutron, project_id: str, *,
                 defer_tags: bool = False) -> None:
        self.db = self._db = db
        self.neutron = neutron
        self._pod = neutron.pod
        self._project = project_id
        # A boot tags its copies while it goes on (the marker a repair needs is in
        # `description` already); `flush_tags` waits for them.
        self._deferred: list[asyncio.Future[None]] | None = [] if defer_tags else None

    async def existing(self, resource_type: str, top_id: str) -> table.Route | None:
        async with self._db.session() as s:
            rows = await table.lookup(s, top_id, resource_type, project_id=None)
        return next((r for r in rows if r.pod_id == self._pod.id), None)

    async def ensure(self, resource_type: str, top_id: str,
                     create: Callable[[], Awaitable[str]], *, adopt: bool = True,
                     adopt_if_refused: bool = False, tag: bool = True) -> tuple[str, bool]:
        """(bottom id, created now). `adopt` False skips the look-up of an existing
        copy (a top object created in this very request cannot have one);
        `adopt_if_refused` looks only when the pod refuses the create (a second
        network on the same segment, a second subnet with the same CIDR on one
        network: the pod refuses both). `tag` False leaves the tag to the caller.
        Raises faults.PodUnavailable, BottomRefused."""
        try:
            async with self._db.session() as s:
                route = await table.reserve(s, top_id=top_id, pod_id=self._pod.id,
                                            project_id=self._project,
                                            resource_type=resource_type)
        except table.RoutingConflict:
            return await self._join(resource_type, top_id, create), False
        bottom = ""
        try:
            # a copy made before this row existed (routing lost, a crash between
            # create and bind whose reservation was released) is adopted
            adopted = await self.neutron.find_tagged(resource_type, top_id) if adopt else None
            if adopted is None:
                adopted, bottom = await self._create(resource_type, top_id, create,
                                                     adopt_if_refused)
        except (BottomRefused, faults.PodUnavailable):
            await self._release(route.id)
            raise
        if adopted:
            await self._bind(route.id, adopted)
            return adopted, False
        await self._bind(route.id, bottom)
        if tag:
            await self._tag(resource_type, bottom, top_id)
        LOG.info("%s %s copied to %s as %s", resource_type, top_id, self._pod.region_name,
                 bottom)
        return bottom, True

    async def _create(self, resource_type: str, top_id: str,
                      create: Callable[[], Awaitable[str]],
                      adopt_if_refused: bool) -> tuple[str | None, str]:
        """(copy adopted after a refusal, None) or (None, copy created)."""
        try:
            return None, await create()
        except BottomRefused:
            found = await self.neutron.find_tagged(resource_type, top_id) \
                if adopt_if_refused else None
            if found is None:
                raise
            return found, found

    async def _tag(self, resource_type: str, bottom: str, top_id: str) -> None:
        if self._deferred is None:
            await self.neutron.tag(resource_type, bottom, top_id)
        else:
            self._deferred.append(asyncio.ensure_future(
                self.neutron.tag(resource_type, bottom, top_id)))

    async def flush_tags(self, *, raise_first: bool = True) -> None:
        """Wait for the tags deferred so far; raise the first failure (or not)."""
        pending = self._deferred or []
        if self._deferred is not None:
            self._deferred = []
        results = await asyncio.gather(*pending, return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed and raise_first:
            raise failed[0]

    async def _join(self, resource_type: str, top_id: str,
                    create: Callable[[], Awaitable[str]]) -> str:
        """Another request reserved the row: use its result, or take over a row
        whose creator died (found by tag, else created here)."""
        route_id = 0
        for _ in range(_WAIT_STEPS):
            route = await self.existing(resource_type, top_id)
            if route is None:
                return (await self.ensure(resource_type, top_id, create))[0]
            route_id = route.id
            if route.bottom_id:
                return route.bottom_id
            found = await self.neutron.find_tagged(resource_type, top_id)
            if found:
                await self._bind(route.id, found)
                return found
            await asyncio.sleep(_WAIT_STEP)
        LOG.warning("%s %s: reservation in %s never bound; taking it over", resource_type,
                    top_id, self._pod.region_name)
        bottom = await create()
        await self.neutron.tag(resource_type, bottom, top_id)
        await self._bind(route_id, bottom)
        return bottom

    async def _bind(self, route_id: int, bottom: str) -> None:
        async with self._db.session() as s:
            await table.bind(s, route_id, bottom)

    async def _release(self, route_id: int, top_id: str | None = None) -> None:
        async with self._db.session() as s:
            await table.release(s, route_id, top_id=top_id)

    async def remove(self, resource_type: str, top_id: str) -> None:
        """Delete the bottom copy (gone already is fine) and its routing row."""
        route = await self.existing(resource_type, top_id)
        if route is None:
            return
        bottom = route.bottom_id or await self.neutron.find_tagged(resource_type, top_id)
        if bottom:
            await self.neutron.call("DELETE", f"/{collection(resource_type)}/{bottom}",
                                    missing_ok=True)
        # guarded by the top id: while the pod deleted, another remove may have
        # released the row and SQLite may have given its id to a new reservation
        await self._release(route.id, top_id)
