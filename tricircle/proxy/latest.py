"""``latest`` pinned to the gateway's maximum compute microversion.

Nova resolves ``latest`` to its own maximum. Forwarded as is, each pod would
resolve it to its own: one request would mean different versions depending on
where a server lives, and answers could come from above the range the gateway
advertises (the highest minimum and lowest maximum of the enabled pods). The
gateway therefore asks for its advertised maximum instead, explicitly, before
anything reads or forwards the version headers.
"""

from __future__ import annotations

from collections.abc import Mapping

from multidict import CIMultiDict

from tricircle.proxy.microversion import requested

_HEADER = "OpenStack-API-Version"
_LEGACY = "X-OpenStack-Nova-API-Version"


def asks_latest(headers: Mapping[str, str]) -> bool:
    """True when the compute version the request asks for is ``latest`` (as Nova
    reads it: the standard header wins over the legacy one)."""
    text = requested(headers)
    return text is not None and text.lower() == "latest"


def pinned(headers: Mapping[str, str], max_version: str) -> CIMultiDict[str]:
    """The request's headers asking for `max_version` instead of ``latest``
    (other services named in the standard header are kept)."""
    out: CIMultiDict[str] = CIMultiDict(headers)
    if _HEADER in out:
        entries = [e.strip() for e in out[_HEADER].split(",") if e.strip()]
        others = [e for e in entries if e.split()[0].lower() != "compute"]
        out[_HEADER] = ", ".join([f"compute {max_version}", *others])
    if _LEGACY in out:
        out[_LEGACY] = max_version
    return out
