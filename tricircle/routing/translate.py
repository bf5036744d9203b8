"""Translation of hrefs, links and ids between a pod (bottom) and the gateway (top).

A pod's service answers with absolute hrefs built from its own endpoint
(``http://127.0.0.1:8774/v2.1/servers/<id>``) and unversioned bookmarks
(``http://127.0.0.1:8774/servers/<id>``). Both share the pod's *root*: the
endpoint up to (not including) its version segment. Rewriting the pod root into
the gateway's root (``http://gw:19999/compute``) therefore fixes versioned hrefs,
bookmarks, version documents, legacy ``/v2.1/<project_id>/...`` hrefs and
``*_links`` alike, with one prefix substitution per string.

`LinkRewriter.rewrite_bytes` does that substitution on the raw body in one
regex pass (no JSON parse and re-serialise on the hot path); `rewrite` walks an
already parsed document. Both also map bottom ids to top ids when the two differ
(after a migration), which is needed wherever an id appears in a URL.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from tricircle.api import keys

# A path segment that names an API version: v2, v2.0, v2.1, v3 ...
_VERSION_SEGMENT = re.compile(r"^v\d+(\.\d+)?$")
# What may follow a root for the match to be a whole prefix, not "…:87740".
_BOUNDARY = "(?=[/?#\"]|$)"


def split_root(base: str) -> str:
    """Return the root of an endpoint URL: everything before its version segment.

    ``http://h:8774/v2.1`` -> ``http://h:8774``; ``http://h/compute/v2.1`` ->
    ``http://h/compute``; ``http://h:8776/v3/<project>`` -> ``http://h:8776``;
    an endpoint without a version segment is its own root (trailing "/" removed).
    """
    parts = urlsplit(base.rstrip("/"))
    segments = [s for s in parts.path.split("/") if s]
    for i, seg in enumerate(segments):
        if _VERSION_SEGMENT.match(seg):
            segments = segments[:i]
            break
    path = "/" + "/".join(segments) if segments else ""
    return f"{parts.scheme}://{parts.netloc}{path}"


class LinkRewriter:
    """Rewrites a pod's hrefs into the gateway's, and bottom ids into top ids.

    `pod_base` is the pod's endpoint (``http://127.0.0.1:8774/v2.1``), `top_base`
    the gateway's for the same surface (``http://gw:19999/compute/v2.1``).
    `ids` maps bottom id -> top id for the ids that differ (usually none).
    Instances are cheap; build one per pod and request.
    """

    __slots__ = ("pod_root", "top_root", "_ids", "_str_re", "_bytes_re", "_top_bytes",
                 "_pod_bytes", "_id_bytes")

    def __init__(self, pod_base: str, top_base: str, *,
                 ids: Mapping[str, str] | None = None) -> None:
        self.pod_root = split_root(pod_base)
        self.top_root = split_root(top_base)
        self._ids = {b: t for b, t in (ids or {}).items() if b and t and b != t}
        self._str_re = re.compile(re.escape(self.pod_root) + _BOUNDARY)
        self._bytes_re = re.compile(b'"' + re.escape(self.pod_root.encode()) +
                                    _BOUNDARY.encode())
        # re.sub treats backslashes in the replacement specially; URLs have none,
        # but escape them anyway.
        self._top_bytes = (b'"' + self.top_root.encode()).replace(b"\\", b"\\\\")
        # encoded once: rewrite_bytes runs on every proxied answer
        self._pod_bytes = self.pod_root.encode() if self.pod_root != self.top_root else None
        self._id_bytes = [(b.encode(), t.encode()) for b, t in self._ids.items()]

    @property
    def identity(self) -> bool:
        """True when nothing would change (same root, no id mapping)."""
        return self.pod_root == self.top_root and not self._ids

    def rewrite_url(self, url: str) -> str:
        """Return `url` with the pod root replaced by the gateway root (Location
        headers, hrefs); URLs that do not start with the pod root are returned as is,
        except that bottom ids are still mapped."""
        if url.startswith(self.pod_root) and self._str_re.match(url):
            url = self.top_root + url[len(self.pod_root):]
        return self._map_ids(url)

    def rewrite(self, obj: Any) -> Any:
        """Rewrite every string in a parsed JSON document that is a pod href
        (``links``, ``*_links``, version documents, bookmarks), in place where
        possible; return the (possibly new) object."""
        if isinstance(obj, dict):
            for key, value in obj.items():
                obj[key] = self.rewrite(value)
            return obj
        if isinstance(obj, list):
            for i, value in enumerate(obj):
                obj[i] = self.rewrite(value)
            return obj
        if isinstance(obj, str) and obj.startswith(self.pod_root):
            return self.rewrite_url(obj)
        return obj

    def rewrite_bytes(self, body: bytes) -> bytes:
        """Rewrite hrefs in a raw JSON body without parsing it.

        Only strings that *start* with the pod root are touched (the match is
        anchored on the opening quote), so ids or names containing the same text
        are left alone. Bottom ids that differ from top ids are replaced
        everywhere they appear (ids are UUIDs: no accidental matches).
        """
        if self._pod_bytes is not None and self._pod_bytes in body:
            body = self._bytes_re.sub(self._top_bytes, body)
        for bottom, top in self._id_bytes:
            body = body.replace(bottom, top)
        return body

    def _map_ids(self, text: str) -> str:
        for bottom, top in self._ids.items():
            if bottom in text:
                text = text.replace(bottom, top)
        return text


def top_base(request: web.Request, surface_path: str) -> str:
    """The gateway's base URL for a surface, as clients must see it.

    ``[api] public_url`` when set, else the origin of the request (scheme and
    Host header), followed by `surface_path` (e.g. ``/compute/v2.1``).
    """
    conf = request.app[keys.CONF]
    public = conf.api.public_url
    origin = public.rstrip("/") if public else f"{request.scheme}://{request.host}"
    return origin + surface_path


# Nova's default_availability_zone: what a pod calls its AZ when the pod record
# does not name one.
DEFAULT_POD_AZ = "nova"


class AzRewriter:
    """Availability zone names between one pod and the top.

    Answers: the pod's AZ name in `fields` (``OS-EXT-AZ:availability_zone``,
    ``availability_zone``) becomes the top AZ, on the raw body. Requests: a top
    AZ in a parsed body becomes the pod's AZ (`to_pod`).
    """

    __slots__ = ("pod_az", "top_az", "_re", "_needle", "_replacement")

    def __init__(self, pod_az: str, top_az: str, fields: tuple[str, ...]) -> None:
        self.pod_az = pod_az or DEFAULT_POD_AZ
        self.top_az = top_az
        names = b"|".join(re.escape(f.encode()) for f in fields)
        self._re = re.compile(b'("(?:' + names + rb')"\s*:\s*")' +
                              re.escape(self.pod_az.encode()) + b'"')
        self._needle = b'"' + self.pod_az.encode() + b'"'
        # a re template, expanded in C (\g<1>: a top AZ starting with a digit is no
        # group); backslashes escaped for JSON, then for the template
        in_json = self.top_az.encode().replace(b"\\", b"\\\\")
        self._replacement = rb"\g<1>" + in_json.replace(b"\\", b"\\\\") + b'"'

    @property
    def identity(self) -> bool:
        return not self.top_az or self.top_az == self.pod_az

    def rewrite_bytes(self, body: bytes) -> bytes:
        """Pod AZ -> top AZ in a raw JSON answer; cheap when the pod AZ is absent."""
        if self.identity or self._needle not in body:
            return body
        return self._re.sub(self._replacement, body)

    def to_pod(self, az: str | None) -> str | None:
        """The pod's name for a top AZ (keeping Nova's ``az:host:node`` suffix);
        other values are returned unchanged (the pod judges them)."""
        if not az or not self.top_az:
            return az
        name, sep, rest = az.partition(":")
        if name != self.top_az:
            return az
        return self.pod_az + sep + rest


@functools.lru_cache(maxsize=4096)  # bounded: one per (pod endpoint, gateway base URL)
def rewriter_for(pod_base: str, top: str) -> LinkRewriter:
    """The LinkRewriter of a pod endpoint and a gateway base, compiled once per process."""
    return LinkRewriter(pod_base, top)
