"""Image lists across pods, each image once: Glance's ``GET /v2/images`` and
Nova's image proxy ``GET /images[/detail]`` (compute API below 2.36), described by
an `ImageCollection` each.

Built from the same parts as the server list (`gather`: parallel, deadline per
pod, pods in region order; `merge`: k-way merge on the sort keys, small first
rounds; `rounds.extend`: the later rounds; `cursor`: the per-pod position carried in the
next href beside the plain `marker`). What differs is Glance's dialect (sort
parameters, page size 25, relative `first`/`next` links, no down-cell records)
and deduplication (the Nova proxy: Nova's paging, absolute ``images_links``,
links rewritten to the gateway, the summary view built from the detail one,
as the server list does): a replica carries its image's id, so every pod's page is
filtered to the images whose *home* is that pod (`homes`, one database read
per round); images no registry row knows yet are registered on sight, home =
the first pod (region order) that showed them (`adopt`), which keeps the
choice stable across pages. docs/images.md.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from multidict import MultiMapping

from tricircle.clients.pod import PodClients, PodRequestError, PodResponse
from tricircle.context import RequestContext
from tricircle.fanout import cursor, merge, rounds
from tricircle.fanout.gather import gather
from tricircle.routing.translate import rewriter_for

LOG = logging.getLogger(__name__)
DEFAULT_LIMIT = 25        # Glance's [DEFAULT] limit_param_default
MAX_LIMIT = 1000          # Glance's api_limit_max
MAX_ROUNDS = 8            # extension rounds per page (each asks `limit` more per pod)
BASE = "/v2/images"
GLANCE_DEFAULT_KEYS = ("created_at", "id")

# (image id, owner) seen per pod region -> registered; returns id -> home pod id
Homes = Callable[[Sequence[str]], Awaitable[dict[str, str]]]
Adopt = Callable[[dict[str, list[tuple[str, str]]]], Awaitable[dict[str, str]]]


@dataclass(frozen=True, slots=True)
class ImageCollection:
    """Where pods list images and how the gateway writes the page."""

    service_type: str                       # catalog type of the pods' endpoint
    path: str                               # the pods' list (always a detailed one)
    show_path: str                          # one image: path % id
    member_key: str | None                  # the show's wrapper ("image") or None
    default_limit: int                      # page size without `limit`
    fields: tuple[tuple[str, str], ...] = ()    # sort key -> item field, where they differ
    nova_links: bool = False                # absolute `images_links` (Nova) or Glance's


GLANCE = ImageCollection("image", BASE, BASE + "/%s", None, DEFAULT_LIMIT)
# Nova's image proxy: its items show created/updated, sizes under other names
NOVA = ImageCollection("compute", "/images/detail", "/images/%s", "image", MAX_LIMIT,
                       fields=(("created_at", "created"), ("updated_at", "updated"),
                               ("min_disk", "minDisk"), ("min_ram", "minRam"),
                               ("size", "OS-EXT-IMG-SIZE:size")),
                       nova_links=True)


@dataclass(frozen=True, slots=True)
class ImagePod:
    id: str
    region: str


@dataclass(slots=True)
class ImageListRequest:
    ctx: RequestContext
    query: MultiMapping[str]
    pods: list[ImagePod]            # region order
    deadline: float = 5.0
    concurrency: int = 64
    started: float = field(default_factory=time.monotonic)
    collection: ImageCollection = GLANCE
    top_base: str = ""              # gateway base of the surface (Nova links)
    detail: bool = True             # Nova: /images/detail, or the summary /images
    headers: dict[str, str] = field(default_factory=dict)   # microversion headers


@dataclass(slots=True)
class ImageListResult:
    body: dict[str, Any] | None = None
    passthrough: PodResponse | None = None
    missing: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Page:
    pod: ImagePod
    items: list[dict[str, Any]]      # images kept (this pod is their home)
    last: str | None                 # the pod's last image id seen (kept or not)
    more: bool                       # the pod may hold more after `last`
    response: PodResponse
    spent: float = 0.0               # seconds the pod's calls took so far

    @property
    def region(self) -> str:
        return self.pod.region


class ImageLister:
    """One page of a merged image list. Stateless; one per app."""

    def __init__(self, pods: PodClients, homes: Homes, adopt: Adopt) -> None:
        self._pods = pods
        self._homes = homes
        self._adopt = adopt

    async def list_page(self, req: ImageListRequest) -> ImageListResult:
        """The page for `req`; a pod's 4xx (bad limit, sort key, marker) comes back
        as `passthrough`, in Glance's words. Pods that fail are `missing`."""
        try:
            limit = _limit(req.query, req.collection.default_limit)
            spec = _sort_spec(req.query)
        except (cursor.InvalidLimit, merge.InvalidSortParams):
            return await self._verdict(req, req.query.items())
        key = merge.key_function(spec, _extractor(dict(req.collection.fields)))
        marker = cursor.last(req.query, "marker")
        scope = cursor.query_scope(req.query)
        position = cursor.Position(scope=scope)
        if marker:
            decoded = cursor.decode(cursor.last(req.query, cursor.CURSOR_PARAM), marker, scope)
            if decoded is None:
                return await self._hand_marker(req, marker, limit, key, spec)
            position = decoded
        size = merge.first_round_size(limit, len(req.pods))
        return await self._collect(req, limit, key, position, size)

    # ---- rounds --------------------------------------------------------------------
    async def _collect(self, req: ImageListRequest, limit: int, key: Any,
                       position: cursor.Position, size: int,
                       after: tuple[Any, int] | None = None) -> ImageListResult:
        index = {p.region: i for i, p in enumerate(req.pods)}

        def keep_after(pages: list[_Page]) -> None:
            if after is not None:
                for page in pages:
                    page.items = [i for i in page.items
                                  if (key(i), index[page.pod.region]) > after]

        async def settle(pages: list[_Page]) -> None:
            await self._keep_homes(pages)
            keep_after(pages)

        async def more(page: _Page, size: int, budget: float) -> _Page:
            return await self._fetch(req, page.pod, page.last, size, budget)

        starts = {p.region: position.pods.get(p.region) for p in req.pods}
        pages, missing = await self._round(req, req.pods, starts, size or limit)
        refused = next((p.response for p in pages.values() if p.response.status != 200), None)
        if refused is not None:
            return ImageListResult(passthrough=refused)
        ordered = [pages[p.region] for p in req.pods if p.region in pages]
        keep_after(ordered)
        missing += await rounds.extend(ordered, more, key=key, limit=limit,
                                       deadline=req.deadline, started=req.started,
                                       concurrency=req.concurrency, rounds=MAX_ROUNDS,
                                       settle=settle, what="image list")
        return self._render(req, limit, key, position, ordered, missing)

    async def _round(self, req: ImageListRequest, pods: list[ImagePod],
                     starts: dict[str, str | None], size: int
                     ) -> tuple[dict[str, _Page], list[str]]:
        by_region = {p.region: p for p in pods}
        remaining = max(rounds.MIN_BUDGET, req.deadline - (time.monotonic() - req.started))

        def call(region: str) -> Awaitable[_Page]:
            return self._fetch(req, by_region[region], starts.get(region), size, remaining)

        # each call times itself (its pod request's timeout): one timer per pod
        results = await gather([p.region for p in pods], call, deadline=remaining,
                               concurrency=req.concurrency, self_timed=True)
        pages = {page.region: page for page in rounds.timed(results)}
        missing = [r.pod for r in results if not r.ok]
        for r in results:
            if not r.ok:
                LOG.warning("image list without %s: %s", r.pod, r.error)
        await self._keep_homes(list(pages.values()))
        return pages, missing

    async def _fetch(self, req: ImageListRequest, pod: ImagePod, marker: str | None,
                     size: int, timeout: float) -> _Page:
        params = [*((k, v) for k, v in cursor.forwarded_params(req.query) if k != "sort"),
                  *_sort_params(req.query),
                  ("limit", str(size))]
        if marker:
            params.append(("marker", marker))
        client = await self._pods.get(pod.region)
        kind = req.collection.service_type
        resp = await client.request(kind, "GET", req.collection.path, params=params,
                                    headers=_headers(req), timeout=timeout)
        if resp.status >= 500:
            raise PodRequestError(pod.region, f"answered {resp.status}")
        if resp.status != 200:
            return _Page(pod, [], None, False, resp)
        body = resp.body
        if req.collection.nova_links:  # one regex pass over the raw body
            body = rewriter_for(client.endpoints.get(kind, ""), req.top_base
                                  ).rewrite_bytes(body)
        images = list((json.loads(body) or {}).get("images", []))
        last = str(images[-1]["id"]) if images else None
        return _Page(pod, images, last, len(images) >= size > 0, resp)


    async def _keep_homes(self, pages: list[_Page]) -> None:
        """Filter each page to the images whose home is its pod (in place)."""
        ids = [str(i["id"]) for p in pages for i in p.items]
        homes = await self._homes(ids)
        unknown: dict[str, list[tuple[str, str]]] = {}
        for page in pages:
            for image in page.items:
                if str(image["id"]) not in homes:
                    unknown.setdefault(page.pod.id, []).append(
                        (str(image["id"]), str(image.get("owner") or "")))
        if unknown:
            homes.update(await self._adopt(unknown))
        for page in pages:
            page.items = [i for i in page.items if homes.get(str(i["id"])) == page.pod.id]

    # ---- markers the gateway did not write ------------------------------------------
    async def _hand_marker(self, req: ImageListRequest, marker: str, limit: int, key: Any,
                           spec: merge.SortSpec) -> ImageListResult:
        """A `marker` without the gateway's cursor: its sort values are read from its
        home and every pod is read from the start, keeping what sorts after it."""
        homes = await self._homes([marker])
        home = next((p for p in req.pods if p.id == homes.get(marker)), None)
        if home is None:
            return await self._verdict(req, req.query.items())
        client = await self._pods.get(home.region)
        collection = req.collection
        resp = await client.request(collection.service_type, "GET",
                                    collection.show_path % marker, headers=_headers(req),
                                    timeout=req.deadline)
        if resp.status != 200:
            return await self._verdict(req, req.query.items())
        index = next(i for i, p in enumerate(req.pods) if p.id == home.id)
        shown = resp.json()
        after = (key(shown[collection.member_key] if collection.member_key else shown), index)
        start = cursor.Position(scope=cursor.query_scope(req.query))
        return await self._collect(req, limit, key, start, max(limit, 1), after=after)

    async def _verdict(self, req: ImageListRequest,
                       params: Any) -> ImageListResult:
        """Let the first pod word a 400 (bad limit, sort, marker) exactly as Glance."""
        if not req.pods:
            return self._render(req, 0, None, cursor.Position(), [], [])
        client = await self._pods.get(req.pods[0].region)
        forwarded = [(k, v) for k, v in params if k != cursor.CURSOR_PARAM]
        resp = await client.request(req.collection.service_type, "GET", req.collection.path,
                                    params=forwarded, headers=_headers(req),
                                    timeout=req.deadline)
        if resp.status == 200:  # the pod took it: an empty page rather than a wrong one
            return self._render(req, 0, None, cursor.Position(), [], [])
        return ImageListResult(passthrough=resp)

    # ---- the page ------------------------------------------------------------------
    def _render(self, req: ImageListRequest, limit: int, key: Any,
                position: cursor.Position, pages: list[_Page],
                missing: list[str]) -> ImageListResult:
        chosen: list[tuple[_Page, dict[str, Any]]] = []
        for i, image in merge.merge([p.items for p in pages], key):
            if len(chosen) >= limit:
                break
            chosen.append((pages[i], image))
        images = [image for _page, image in chosen]
        nova = req.collection.nova_links
        body: dict[str, Any] = {"images": images} if nova else {
            "images": images, "first": _href(req.query), "schema": "/v2/schemas/images"}
        if limit and len(images) == limit:
            emitted = [(page.pod.region, str(image["id"])) for page, image in chosen]
            advanced = position.advance(str(images[-1]["id"]), emitted)
            base = req.top_base + ("/images/detail" if req.detail else "/images") \
                if nova else BASE
            href = cursor.next_href(base, req.query, marker=advanced.marker or "",
                                    position=advanced)
            if nova:
                body["images_links"] = [{"rel": "next", "href": href}]
            else:
                body["next"] = href
        if nova and not req.detail:
            body["images"] = [{"id": i.get("id"), "name": i.get("name"),
                               "links": i.get("links")} for i in images]
        return ImageListResult(body=body, missing=missing)


def _href(query: MultiMapping[str]) -> str:
    items = [(k, v) for k, v in query.items() if k not in ("marker", cursor.CURSOR_PARAM)]
    return f"{BASE}?{urlencode(items)}" if items else BASE


def _limit(query: MultiMapping[str], default: int) -> int:
    raw = cursor.last(query, "limit")
    if raw is None or raw == "":
        return default
    return cursor.page_limit(query, MAX_LIMIT)


def _headers(req: ImageListRequest) -> dict[str, str]:
    return {**req.ctx.pod_headers(), **req.headers}


def _sort_spec(query: MultiMapping[str]) -> merge.SortSpec:
    """Glance's effective sort: `sort=k:dir,...` or sort_key/sort_dir, then
    created_at and id (raises merge.InvalidSortParams; unknown keys are the
    pods' to refuse)."""
    combined = cursor.last(query, "sort")
    if combined is not None:
        if "sort_key" in query or "sort_dir" in query:
            raise merge.InvalidSortParams("sort cannot be combined with sort_key/sort_dir")
        keys, dirs = [], []
        for part in filter(None, combined.split(",")):
            name, _, direction = part.strip().partition(":")
            keys.append(name)
            dirs.append(direction or "desc")
        return merge.sort_spec(keys, dirs, GLANCE_DEFAULT_KEYS)
    keys = query.getall("sort_key", [])
    dirs = query.getall("sort_dir", [])
    if len(dirs) == 1 and len(keys) > 1:
        dirs = dirs * len(keys)
    return merge.sort_spec(keys, dirs, GLANCE_DEFAULT_KEYS)


def _sort_params(query: MultiMapping[str]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in query.items() if k in ("sort", "sort_key", "sort_dir")]


def _extractor(fields: dict[str, str]) -> Callable[[dict[str, Any], str], Any]:
    def extract(image: dict[str, Any], sort_key: str) -> Any:
        return image.get(fields.get(sort_key, sort_key))

    return extract
