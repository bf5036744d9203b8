"""GET /servers and /servers/detail across pods (Nova's multi-cell list semantics),
and any other collection listed the same way (Cinder volumes, snapshots,
backups: a `Collection` says what differs).

One page = parallel fan-out of `GET /servers/detail` (sort values live only in
the detail view) to every pod that may hold matching servers, each asked for at
most `limit` servers after its own position, then a k-way merge and the first
`limit` items. Work and memory per request: limit x pods. docs/lists.md has the
algorithm and the reasoning about markers, concurrent creates and down pods.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlencode

from multidict import CIMultiDict, MultiMapping

from tricircle import faults, jsonbody
from tricircle.clients.pod import PodClients, PodRequestError, PodResponse
from tricircle.context import RequestContext
from tricircle.fanout import collector, cursor, merge, rounds
from tricircle.fanout.gather import PodResult, gather
from tricircle.resources.compute import SERVER_MARKER
from tricircle.routing.translate import rewriter_for

LOG = logging.getLogger(__name__)

DOWN_CELL_MIN_VERSION = (2, 69)
SCAN_PAGE = 200  # page size while looking for a hand-written marker's place in a pod
VERSION_HEADERS = ("OpenStack-API-Version", "X-OpenStack-Nova-API-Version")
# Nova sort keys (database columns) -> where the detail view shows the value.
# Keys the API never shows (Nova's integer id, instance_type_id, vm_mode,
# locked_by) read as None: ties, broken by pod order.
SORT_FIELDS: dict[str, tuple[str, ...]] = {
    "created_at": ("created",), "updated_at": ("updated",), "display_name": ("name",),
    "display_description": ("description",), "uuid": ("id",),
    "access_ip_v4": ("accessIPv4",), "access_ip_v6": ("accessIPv6",),
    "availability_zone": ("OS-EXT-AZ:availability_zone",), "config_drive": ("config_drive",),
    "host": ("OS-EXT-SRV-ATTR:host",), "hostname": ("OS-EXT-SRV-ATTR:hostname",),
    "node": ("OS-EXT-SRV-ATTR:hypervisor_hostname",), "image_ref": ("image", "id"),
    "kernel_id": ("OS-EXT-SRV-ATTR:kernel_id",), "ramdisk_id": ("OS-EXT-SRV-ATTR:ramdisk_id",),
    "key_name": ("key_name",), "launch_index": ("OS-EXT-SRV-ATTR:launch_index",),
    "launched_at": ("OS-SRV-USG:launched_at",), "terminated_at": ("OS-SRV-USG:terminated_at",),
    "locked": ("locked",), "power_state": ("OS-EXT-STS:power_state",),
    "progress": ("progress",), "project_id": ("tenant_id",), "user_id": ("user_id",),
    "root_device_name": ("OS-EXT-SRV-ATTR:root_device_name",),
    "task_state": ("OS-EXT-STS:task_state",), "vm_state": ("OS-EXT-STS:vm_state",),
    "auto_disk_config": ("OS-DCF:diskConfig",),
}
AZ_FIELD = "OS-EXT-AZ:availability_zone"


class MarkerNotFound(faults.BadRequest):
    code, message = "tricircle.marker_not_found", "marker [%(marker)s] not found"


@dataclass(frozen=True, slots=True)
class Collection:
    """One listable collection of one service, as the merged list needs it.

    `summary` is the projection of the non-detail view (pods are then asked for
    the detail view, where the sort values are); None when the pods' own index
    view carries the sort values and is asked directly. `sort_param`: the
    service also takes Cinder's ``sort=key:dir,...``.
    """

    name: str = "servers"                 # body key and path segment
    member: str = "server"
    service_type: str = "compute"
    links_key: str = "servers_links"
    sort_fields: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: SORT_FIELDS)
    az_field: str = AZ_FIELD              # also where the availability_zone sort value is
    marker_key: str = SERVER_MARKER.key   # the gateway's hidden metadata item
    summary: tuple[str, ...] | None = ("id", "name", "links")
    down_records: bool = True             # Nova 2.69 minimal records for down pods
    marker_not_found: type[faults.TricircleError] = MarkerNotFound
    version_headers: tuple[str, ...] = VERSION_HEADERS
    sort_param: bool = False
    segment: str = ""                     # URL path segment when not `name`
    # False: the pods' list ignores (or mishandles) limit/marker/sort, as Cinder's
    # transfers do; each pod's whole list is read, sorted and cut here
    pod_paging: bool = True

    @property
    def path_segment(self) -> str:
        return self.segment or self.name


SERVERS = Collection()


@dataclass(frozen=True, slots=True)
class ListPod:
    """A pod as the list needs it: region, top AZ, AZ name inside the pod,
    whether it is to be asked at all (a disabled pod is treated as down), and
    whether its items may show a top id other than their own (`renamed`: an item
    moved between pods keeps its top id; False when the routing table says none
    of the listed project's items in this pod did, so no lookup is needed)."""

    region: str
    az_name: str = ""
    pod_az_name: str = ""
    usable: bool = True
    renamed: bool = True


@dataclass(frozen=True, slots=True)
class KnownServer:
    """A server known from the routing table (for down-pod minimal records)."""

    top_id: str
    bottom_id: str
    project_id: str
    created_at: datetime | None


class ServerSource(Protocol):
    """What the list reads from the gateway's own state (routing table, pods)."""

    async def pods(self, project_id: str | None) -> list[ListPod]:
        """Pods that may hold servers of `project_id` (None: every project),
        sorted by region name."""

    def recent(self, project_id: str | None) -> list[ListPod] | None:
        """What `pods` answered last for `project_id` in this process (None: not
        known): the pods a list may start asking before `pods` answers again."""

    async def locate(self, server_id: str, project_id: str | None
                     ) -> tuple[str, str] | None:
        """(region, bottom id) of a server, or None when unknown to the caller."""

    async def known(self, region: str, project_id: str | None, limit: int
                    ) -> list[KnownServer]:
        """Servers the routing table places in `region`, newest first."""

    async def top_ids(self, servers: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """(region, bottom id) -> top id, for the given servers whose ids differ."""


@dataclass(slots=True)
class ListRequest:
    ctx: RequestContext
    query: MultiMapping[str]
    headers: CIMultiDict[str]       # microversion headers to forward
    detail: bool
    top_base: str                   # gateway compute base, e.g. http://gw/compute/v2.1
    deadline: float = 5.0
    concurrency: int = 64
    down_pod_policy: str = "skip"   # or "fail"
    # when the list started: both rounds together stay within `deadline` per pod
    started: float = field(default_factory=time.monotonic)
    collection: Collection = SERVERS
    # "/<project_id>" when the client used a URL with the project id (Cinder, legacy
    # Nova): pods are asked the same way, so their hrefs keep it
    path_prefix: str = ""

    def path(self, tail: str = "") -> str:
        """The pod path of the collection (``/servers/detail``) or of one item."""
        return f"{self.path_prefix}/{self.collection.path_segment}{tail}"


@dataclass(slots=True)
class ListResult:
    """Either a merged page (`body`) or a pod's own error answer (`passthrough`)."""

    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    passthrough: PodResponse | None = None
    missing: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Plan:
    """What to ask each pod: its own marker, or (hand-written marker) the sort
    key the pod's servers must come after."""

    spec: merge.SortSpec
    limit: int
    position: cursor.Position
    pod_markers: dict[str, str | None]
    after: tuple[merge.SortKey, int] | None = None
    first_size: int = 0   # per-pod page size of the first round (0: the page size)
    # what every pod call of the list shares, encoded once: the query string by
    # (pod's AZ name, page size), the headers
    queries: dict[tuple[str, int], str] = field(default_factory=dict)
    headers: dict[str, str] | None = None

    def pod_query(self, req: ListRequest, pod: ListPod, limit: int,
                  pod_marker: str | None) -> str:
        """The query string of a pod's list call (`_pod_params`, URL-encoded)."""
        if not req.collection.pod_paging:
            limit, pod_marker = -1, None
        az = pod.pod_az_name if "availability_zone" in req.query else ""
        shared = self.queries.get((az, limit))
        if shared is None:
            params = _pod_params(req.query, self.spec, pod, limit, None) if limit >= 0 \
                else cursor.forwarded_params(req.query)
            shared = self.queries[(az, limit)] = urlencode(params)
        if not pod_marker:
            return shared
        return f"{shared}&{urlencode([('marker', pod_marker)])}" if shared \
            else urlencode([("marker", pod_marker)])

    def pod_headers(self, req: ListRequest) -> dict[str, str]:
        if self.headers is None:
            self.headers = _pod_headers(req)
        return self.headers


class ServerLister:
    """Builds one page of a merged server list. Stateless; one per app."""

    def __init__(self, pods: PodClients, source: ServerSource) -> None:
        self._pods = pods
        self._source = source


    async def list_page(self, req: ListRequest) -> ListResult:
        """Return the page for `req`.

        Raises MarkerNotFound (400), faults.PodUnavailable (503) when a pod is
        down and policy says fail, or when the marker's pod is unreachable.
        A pod's 4xx answer is returned as `passthrough` (its own dialect).
        """
        with collector.paused():   # the pods' records are short-lived garbage
            return await self._list_page(req)

    async def _list_page(self, req: ListRequest) -> ListResult:
        try:
            limit = cursor.page_limit(req.query)
            spec = merge.sort_spec(*_sort_params(req))
        except (cursor.InvalidLimit, merge.InvalidSortParams):
            return await self._first_pod_verdict(req)
        key = merge.key_function(spec, _extractor(req.collection))
        zone = cursor.last(req.query, "availability_zone")
        guess = None if cursor.last(req.query, "marker") else self._source.recent(_scope(req))
        if guess is not None:
            plan, results = await self._fetch_ahead(req, spec, limit, key,
                                                    _az_filtered(guess, zone), zone)
            return await self._page(req, plan, results, key)
        pods = _az_filtered(await self._source.pods(_scope(req)), zone)
        plan = await self._plan(req, spec, limit, pods, key)
        plan.first_size = merge.first_round_size(limit, sum(p.usable for p in pods))
        results = await self._fetch(req, plan, pods, key)
        return await self._page(req, plan, results, key)

    async def _fetch_ahead(self, req: ListRequest, spec: merge.SortSpec, limit: int,
                           key: Callable[[Any], merge.SortKey], guess: list[ListPod],
                           zone: str | None) -> tuple[_Plan, list[PodResult[PodPage]]]:
        """A first page: the pods that held the project's servers last time are
        asked while the routing table is read again (its read is off the list's
        critical path). Pods the table now adds are asked then; answers of pods
        it no longer names are dropped; the table's flags win. Same page as
        asking after the read: a server created before the list began is in the
        table and in its pod before either is read."""
        plan = _Plan(spec, limit, cursor.Position(scope=cursor.query_scope(req.query)),
                     {p.region: None for p in guess})
        plan.first_size = merge.first_round_size(limit, sum(p.usable for p in guess))
        ahead = asyncio.ensure_future(self._fetch(req, plan, guess, key))
        try:
            # one turn of the loop first: the fetch schedules its pod calls, which then
            # run (and send) before the read's own synchronous start
            await asyncio.sleep(0)
            pods = _az_filtered(await asyncio.ensure_future(self._source.pods(_scope(req))),
                                zone)
        except BaseException:
            ahead.cancel()
            await asyncio.gather(ahead, return_exceptions=True)
            raise
        asked = {p.region: _asked_as(p) for p in guess}
        now = {p.region: _asked_as(p) for p in pods}
        late = [p for p in pods if asked.get(p.region) != now[p.region]]
        more = asyncio.ensure_future(self._fetch(req, plan, late, key)) if late else None
        results = [r for r in await ahead if asked[r.pod] == now.get(r.pod)]
        if more is not None:
            results += await more
        order = {p.region: i for i, p in enumerate(pods)}
        results.sort(key=lambda r: order[r.pod])
        by_region = {p.region: p for p in pods}
        for r in results:
            if r.value is not None:
                r.value.pod = by_region[r.pod]
        plan.pod_markers = {p.region: None for p in pods}
        return plan, results

    # ---- planning ------------------------------------------------------------------
    async def _plan(self, req: ListRequest, spec: merge.SortSpec, limit: int,
                    pods: list[ListPod], key: Callable[[Any], merge.SortKey]) -> _Plan:
        marker = cursor.last(req.query, "marker")
        scope = cursor.query_scope(req.query)
        if not marker:
            return _Plan(spec, limit, cursor.Position(scope=scope),
                         {p.region: None for p in pods})
        position = cursor.decode(cursor.last(req.query, cursor.CURSOR_PARAM), marker, scope)
        if position is not None:
            return _Plan(spec, limit, position,
                         {p.region: position.pods.get(p.region) for p in pods})
        return await self._plan_from_marker(req, spec, limit, pods, marker, key)

    async def _plan_from_marker(self, req: ListRequest, spec: merge.SortSpec, limit: int,
                                pods: list[ListPod], marker: str,
                                key: Callable[[Any], merge.SortKey]) -> _Plan:
        found = await self._source.locate(marker, _scope(req))
        if found is None:
            raise req.collection.marker_not_found(marker=marker)
        region, bottom_id = found
        server = await self._show(req, region, bottom_id)
        index = next((i for i, p in enumerate(pods) if p.region == region), -1)
        markers: dict[str, str | None] = {p.region: None for p in pods}
        if index >= 0:
            markers[region] = bottom_id
        _top_azs([server], pods[index] if index >= 0 else ListPod(region), req.collection, spec)
        position = cursor.Position(marker, {region: bottom_id}, cursor.query_scope(req.query))
        return _Plan(spec, limit, position, markers,
                     after=(key(server), index))

    async def _show(self, req: ListRequest, region: str, bottom_id: str) -> dict[str, Any]:
        coll = req.collection
        try:
            client = await self._pods.get(region)
            resp = await client.request(coll.service_type, "GET", req.path(f"/{bottom_id}"),
                                        headers=_pod_headers(req), timeout=req.deadline)
        except PodRequestError as exc:
            raise faults.PodUnavailable(pod=region) from exc
        if resp.status == 404:
            raise coll.marker_not_found(marker=cursor.last(req.query, "marker"))
        if resp.status != 200:
            raise faults.PodUnavailable(pod=region)
        return dict(resp.json()[coll.member])

    # ---- fetching ------------------------------------------------------------------
    async def _fetch(self, req: ListRequest, plan: _Plan, pods: list[ListPod],
                     key: Callable[[Any], merge.SortKey]) -> list[PodResult[PodPage]]:
        usable = [p for p in pods if p.usable]
        by_region = {p.region: p for p in pods}
        index = {p.region: i for i, p in enumerate(pods)}

        def call(region: str) -> Awaitable[PodPage]:
            pod = by_region[region]
            if plan.after is not None and plan.pod_markers.get(region) is None:
                return self._scan_after(req, plan, pod, index[region], key)
            return self._page_of(req, plan, pod, plan.pod_markers.get(region),
                                 plan.first_size, timeout=req.deadline)

        # each call times itself (its pod request's timeout): one timer per pod
        results = await gather([p.region for p in usable], call, deadline=req.deadline,
                               concurrency=req.concurrency, self_timed=True)
        down: list[PodResult[PodPage]] = [
            PodResult(p.region, -1, error=PodRequestError(p.region, "not in service"))
            for p in pods if not p.usable]
        return results + down

    async def _page_of(self, req: ListRequest, plan: _Plan, pod: ListPod,
                       pod_marker: str | None, limit: int | None = None, *,
                       timeout: float) -> PodPage:
        coll = req.collection
        query = plan.pod_query(req, pod, limit or plan.limit, pod_marker)
        path = _pod_list_path(req) + ("?" + query if query else "")
        client = await self._pods.get(pod.region)
        resp = await client.request(coll.service_type, "GET", path,
                                    headers=plan.pod_headers(req), timeout=timeout)
        if resp.status >= 500:
            raise PodRequestError(pod.region, f"answered {resp.status}")
        endpoint = client.url(coll.service_type, "")
        if resp.status != 200:
            return PodPage(pod, [], resp, endpoint)
        # hrefs are rewritten later, only in the items the page returns (_page)
        servers = list((jsonbody.loads(resp.body) if resp.body else {}).get(coll.name, []))
        _top_azs(servers, pod, coll, plan.spec)
        if not coll.pod_paging:
            return PodPage(pod, _after(servers, plan.spec, coll, pod_marker), resp, endpoint)
        size = limit or plan.limit
        return PodPage(pod, servers, resp, endpoint, more=bool(size) and len(servers) >= size,
                       last=str(servers[-1]["id"]) if servers else None)

    async def _scan_after(self, req: ListRequest, plan: _Plan, pod: ListPod, index: int,
                          key: Callable[[Any], merge.SortKey]) -> PodPage:
        """Servers of `pod` after a hand-written marker held by another pod: read
        the pod in order until past the marker's sort values (cost grows with
        the marker's depth; next hrefs written by the gateway never need this)."""
        assert plan.after is not None
        found: list[dict[str, Any]] = []
        pod_marker: str | None = None
        size = max(plan.limit, SCAN_PAGE)
        until = time.monotonic() + req.deadline
        while True:
            page = await self._page_of(req, plan, pod, pod_marker, size,
                                       timeout=max(until - time.monotonic(), rounds.MIN_BUDGET))
            if page.response.status != 200:
                return page
            found += [s for s in page.items if (key(s), index) > plan.after]
            if len(found) >= plan.limit or len(page.items) < size:
                page.items = found[:plan.limit]
                page.last = str(page.items[-1]["id"]) if page.items else None
                return page
            pod_marker = page.items[-1]["id"]

    async def _first_pod_verdict(self, req: ListRequest) -> ListResult:
        """Invalid paging input: let a pod word the 400 exactly as Nova does."""
        pods = [p for p in await self._source.pods(_scope(req)) if p.usable]
        if not pods:
            raise faults.BadRequest("Invalid input for query parameters.")
        client = await self._pods.get(pods[0].region)
        params = [(k, v) for k, v in req.query.items() if k != cursor.CURSOR_PARAM]
        resp = await client.request(req.collection.service_type, "GET", _pod_list_path(req),
                                    params=params, headers=_pod_headers(req),
                                    timeout=req.deadline)
        return ListResult(passthrough=resp)

    # ---- the page ------------------------------------------------------------------
    async def _page(self, req: ListRequest, plan: _Plan, results: list[PodResult[PodPage]],
                    key: Callable[[Any], merge.SortKey]) -> ListResult:
        refused = next((r.value.response for r in results
                        if r.ok and r.value is not None and r.value.response.status != 200),
                       None)
        if refused is not None:
            return ListResult(passthrough=refused)
        pages = rounds.timed(results)
        missing = [r.pod for r in results if not r.ok]
        for r in results:
            if not r.ok:
                LOG.warning("server list without %s: %s", r.pod, r.error)
        partial = await rounds.extend(pages, self._more_of(req, plan), key=key,
                                      limit=plan.limit, deadline=req.deadline,
                                      started=req.started, concurrency=req.concurrency,
                                      what=f"{req.collection.name} list")
        chosen = list(_take(pages, key, plan.limit))
        emitted = [(page.pod.region, str(server["id"])) for page, server in chosen]
        top_ids = await self._source.top_ids(
            [(page.pod.region, str(server["id"])) for page, server in chosen if page.pod.renamed])
        items = [_render(page, rewriter_for(page.endpoint, req.top_base).rewrite(server), req,
                         top_ids.get((page.pod.region, str(server["id"]))))
                 for page, server in chosen]
        items += await self._minimal_records(req, missing, plan.limit - len(items))
        body: dict[str, Any] = {req.collection.name: items}
        if plan.limit and len(items) == plan.limit:
            position = plan.position.advance(str(items[-1]["id"]), emitted)
            body[req.collection.links_key] = [{"rel": "next", "href": _next(req, position)}]
        return ListResult(body=body, headers=_reply_headers(req, pages),
                          missing=missing + partial)

    def _more_of(self, req: ListRequest, plan: _Plan) -> rounds.Fetch[PodPage]:
        """How a pod is asked for more servers after its last one (later rounds);
        a pod's refusal there counts as a failure (its first servers stay)."""

        async def more(page: PodPage, size: int, budget: float) -> PodPage:
            extra = await self._page_of(req, plan, page.pod, page.last, size, timeout=budget)
            if extra.response.status != 200:
                raise PodRequestError(page.region, f"answered {extra.response.status}")
            return extra

        return more

    async def _minimal_records(self, req: ListRequest, missing: list[str],
                               room: int) -> list[dict[str, Any]]:
        if not missing:
            return []
        if not req.collection.down_records or not _down_records_allowed(req):
            if req.down_pod_policy == "fail":
                raise faults.PodUnavailable(pod=", ".join(missing))
            return []
        out: list[dict[str, Any]] = []
        for region in missing:
            if room - len(out) <= 0:
                break
            known = await self._source.known(region, _scope(req), room - len(out))
            out += [_minimal(req, server) for server in known]
        return out


@dataclass(slots=True)
class PodPage:
    """One pod's answer: its servers (`items`, sorted by the pod), the raw
    response and the pod's compute endpoint (for link rewriting)."""

    pod: ListPod
    items: list[dict[str, Any]]
    response: PodResponse
    endpoint: str
    more: bool = False         # the pod may hold more servers after these
    last: str | None = None    # the pod's id of the last of them (its next marker)
    spent: float = 0.0         # seconds the pod's calls took so far (rounds.extend)

    @property
    def region(self) -> str:
        return self.pod.region


def _asked_as(pod: ListPod) -> tuple[str, str, str, bool]:
    """What a pod's list call depends on (its `renamed` flag only matters later)."""
    return pod.region, pod.az_name, pod.pod_az_name, pod.usable


def _next(req: ListRequest, position: cursor.Position) -> str:
    base = req.top_base + req.path("/detail" if req.detail else "")
    return cursor.next_href(base, req.query, marker=position.marker or "", position=position)


def _after(items: list[dict[str, Any]], spec: merge.SortSpec,
           collection: Collection, pod_marker: str | None) -> list[dict[str, Any]]:
    """A pod's whole list in the requested order, after its position."""
    ordered = sorted(items, key=merge.key_function(spec, _extractor(collection)))
    ids = [str(item.get("id")) for item in ordered]
    return ordered[ids.index(pod_marker) + 1:] if pod_marker in ids else ordered


def _pod_list_path(req: ListRequest) -> str:
    """The detail view, where the sort values are; the index view when it has them."""
    summary = req.collection.summary is not None
    return req.path("/detail" if req.detail or summary else "")


def _sort_params(req: ListRequest) -> tuple[list[str], list[str]]:
    """(keys, directions) asked for: ``sort_key``/``sort_dir``, or Cinder's
    ``sort=key[:dir],...`` (a key without a direction is descending).
    Raises merge.InvalidSortParams for both forms at once."""
    sort = cursor.last(req.query, "sort") if req.collection.sort_param else None
    keys, dirs = req.query.getall("sort_key", []), req.query.getall("sort_dir", [])
    if sort is None:
        return list(keys), list(dirs)
    if keys or dirs:
        raise merge.InvalidSortParams("The 'sort_key' and 'sort_dir' parameters are "
                                      "deprecated and cannot be used with the 'sort' parameter.")
    pairs = [item.strip().partition(":") for item in sort.split(",") if item.strip()]
    return [k.strip() for k, _sep, _d in pairs], [(d.strip() or "desc") for _k, _s, d in pairs]


def _take(pages: Sequence[PodPage], key: Callable[[Any], merge.SortKey], limit: int
          ) -> list[tuple[PodPage, dict[str, Any]]]:
    out: list[tuple[PodPage, dict[str, Any]]] = []
    if limit <= 0:
        return out
    for index, server in merge.merge([page.items for page in pages], key):
        out.append((pages[index], server))
        if len(out) >= limit:
            break
    return out


def _extractor(collection: Collection) -> Callable[[dict[str, Any], str], Any]:
    """(server, sort key) -> the value sorted on. The availability zone is the top
    one: `_top_azs` wrote it into the servers of a list sorted on it."""
    fields = collection.sort_fields

    def extract(server: dict[str, Any], sort_key: str) -> Any:
        path = fields.get(sort_key)
        if path is None:
            return None
        value: Any = server
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if sort_key == "auto_disk_config" and isinstance(value, str):
            return value == "AUTO"
        return value

    return extract


def _top_azs(servers: list[dict[str, Any]], pod: ListPod, collection: Collection,
             spec: merge.SortSpec) -> None:
    """In a list sorted on the availability zone, the pod's servers show (and sort
    on) the top AZ name, written in place once per server (`_render` writes it in
    the servers shown anyway). Nothing to do for other sorts."""
    if not pod.az_name or all(name != "availability_zone" for name, _dir in spec):
        return
    field_ = collection.az_field
    for server in servers:
        if field_ in server:
            server[field_] = _top_az(pod, server[field_])


def _top_az(pod: ListPod, value: Any) -> Any:
    if not pod.az_name or not value:
        return value
    if not pod.pod_az_name or value == pod.pod_az_name:
        return pod.az_name
    return value


def _az_filtered(pods: list[ListPod], top_az: str | None) -> list[ListPod]:
    if not top_az:
        return pods
    return [p for p in pods if p.az_name == top_az]


def _scope(req: ListRequest) -> str | None:
    """Project whose servers are listed; None = every project (admin all_tenants)."""
    if req.ctx.is_admin and _truthy(cursor.last(req.query, "all_tenants")):
        return None
    return req.ctx.project_id


def _truthy(value: str | None) -> bool:
    # Nova: all_tenants present with no value means true; "0"/"false" mean false.
    if value is None:
        return False
    return value.strip().lower() not in ("0", "false", "f", "no", "n", "off")


def _pod_params(query: MultiMapping[str], spec: merge.SortSpec, pod: ListPod,
                limit: int, pod_marker: str | None) -> list[tuple[str, str]]:
    params = []
    for k, v in cursor.forwarded_params(query):
        if k == "availability_zone" and pod.pod_az_name:
            v = pod.pod_az_name
        params.append((k, v))
    params += [("sort_key", k) for k in query.getall("sort_key", [])]
    params += [("sort_dir", d) for d in query.getall("sort_dir", [])]
    params.append(("limit", str(limit)))
    if pod_marker:
        params.append(("marker", pod_marker))
    return params


def _pod_headers(req: ListRequest) -> dict[str, str]:
    headers = req.ctx.pod_headers()
    for name in req.collection.version_headers:
        if name in req.headers:
            headers[name] = req.headers[name]
    return headers


def _render(page: PodPage, server: dict[str, Any], req: ListRequest,
            top_id: str | None) -> dict[str, Any]:
    """The server as the gateway shows it (links already point at the gateway):
    its top id where it differs from the pod's, top AZ, the gateway's marker
    metadata hidden; the summary view for /servers."""
    _hide_marker(server, req.collection.marker_key)
    bottom_id = str(server.get("id"))
    if top_id and top_id != bottom_id:
        server["id"] = top_id
        for link in server.get("links") or []:
            if isinstance(link, dict) and isinstance(link.get("href"), str):
                link["href"] = link["href"].replace(bottom_id, top_id)
    az_field = req.collection.az_field
    if az_field in server:
        server[az_field] = _top_az(page.pod, server[az_field])
    summary = req.collection.summary
    if req.detail or summary is None:
        return server
    return {name: server.get(name) for name in summary}


def _hide_marker(server: dict[str, Any], key: str) -> None:
    metadata = server.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop(key, None)


def requested_version(headers: CIMultiDict[str]) -> tuple[int, int] | None:
    """The compute microversion asked for; (2, 1) when none, None for 'latest'."""
    raw = headers.get("OpenStack-API-Version", "")
    value = raw.split()[-1] if raw.lower().startswith("compute ") else ""
    value = value or headers.get("X-OpenStack-Nova-API-Version", "") or "2.1"
    if value.strip().lower() == "latest":
        return None
    try:
        major, minor = value.strip().split(".")
        return int(major), int(minor)
    except ValueError:
        return (2, 1)


def _down_records_allowed(req: ListRequest) -> bool:
    """Nova 2.69: minimal records only for an unfiltered, unsorted, unpaged list
    (all_tenants is the one filter allowed)."""
    version = requested_version(req.headers)
    if version is not None and version < DOWN_CELL_MIN_VERSION:
        return False
    return all(k == "all_tenants" for k in req.query if k != cursor.CURSOR_PARAM)


def _minimal(req: ListRequest, server: KnownServer) -> dict[str, Any]:
    links = [{"rel": "self", "href": f"{req.top_base}/servers/{server.top_id}"},
             {"rel": "bookmark",
              "href": f"{req.top_base.rsplit('/', 1)[0]}/servers/{server.top_id}"}]
    record: dict[str, Any] = {"id": server.top_id, "status": "UNKNOWN", "links": links}
    if req.detail:
        record["tenant_id"] = server.project_id
        record["created"] = (server.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
                             if server.created_at else None)
    return record


def _reply_headers(req: ListRequest, pages: list[PodPage]) -> dict[str, str]:
    """Microversion headers as a pod sent them (all pods agree on the version
    asked), else echoed from the request."""
    for page in pages:
        found = {h: page.response.headers[h]
                 for h in (*req.collection.version_headers, "Vary")
                 if h in page.response.headers}
        if found:
            return found
    if req.collection.service_type != "compute":
        return {}
    version = requested_version(req.headers)
    if version is None:
        return {}
    text = f"{version[0]}.{version[1]}"
    return {"OpenStack-API-Version": f"compute {text}", "X-OpenStack-Nova-API-Version": text,
            "Vary": "OpenStack-API-Version, X-OpenStack-Nova-API-Version"}

