"""The microversion a request asks for, read the way Nova (and Cinder) read it.

``OpenStack-API-Version: compute 2.79`` wins over the legacy
``X-OpenStack-Nova-API-Version: 2.79``; no header means the minimum (2.1).
Headers are forwarded to pods untouched; this is only for the gateway's own
decisions (capability filter) and for the headers of the gateway's own answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_VERSION = re.compile(r"^([1-9]\d*)\.(0|[1-9]\d*)$")
DEFAULT = "2.1"
DEFAULTS = {"compute": "2.1", "volume": "3.0"}
VARY = "OpenStack-API-Version, X-OpenStack-Nova-API-Version"


def requested(headers: Mapping[str, str], service: str = "compute") -> str | None:
    """The raw version string the client asked for ("2.79", "latest"), or None."""
    # the header may list several services: "compute 2.79, placement 1.36"
    for value in headers.get("OpenStack-API-Version", "").split(","):
        parts = value.strip().split()
        if len(parts) == 2 and parts[0].lower() == service:
            return parts[1]
    if service == "compute":
        legacy = headers.get("X-OpenStack-Nova-API-Version")
        if legacy:
            return legacy.strip()
    return None


def parse(text: str | None) -> tuple[int, int] | None:
    """(major, minor) of a version string; None for no version or "latest".
    Raises ValueError for a malformed one."""
    if text is None or text == "latest":
        return None
    match = _VERSION.match(text)
    if not match:
        raise ValueError(text)
    return int(match.group(1)), int(match.group(2))


def response_headers(headers: Mapping[str, str], max_version: str,
                     service: str = "compute") -> dict[str, str]:
    """The service's version headers for an answer the gateway makes itself
    (faults, version documents): the requested version ("latest" = `max_version`),
    else the service's default (compute 2.1, volume 3.0); nothing for a malformed
    request version, as Nova and Cinder do."""
    text = requested(headers, service) or DEFAULTS.get(service, DEFAULT)
    if text == "latest":
        text = max_version
    try:
        parse(text)
    except ValueError:
        return {}
    if service != "compute":
        return {"OpenStack-API-Version": f"{service} {text}", "Vary": "OpenStack-API-Version"}
    return {"OpenStack-API-Version": f"compute {text}", "X-OpenStack-Nova-API-Version": text,
            "Vary": VARY}
