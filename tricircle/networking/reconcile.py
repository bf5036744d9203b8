"""Pure judgement of the networking audit: routing rows vs what a pod holds.

For one pod and one type (network, subnet, port, security group), given the
routing rows, the pod's resources and central's documents of the top ids
involved, `judge` returns findings, each with the action the audit takes:

* ``release``: a bound row whose bottom copy vanished (the next use makes a new
  copy);
* ``delete``: a copy whose top object is gone (deleted in central Neutron
  directly), or an orphan (marked with a top id, no row) of a deleted top object;
* ``adopt``: an orphan whose top object exists (a row is created for it);
* ``sync``: a copy whose attributes drifted from central's (``networking.sync``);
* ``report``: not safe to repair automatically (a port still used by a device,
  a port of a service such as a router or DHCP): shown to the operator only.

A resource is the gateway's when it carries the create protocol's marker: its
description is a top id that is also one of its tags.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from tricircle.networking import plan
from tricircle.routing.table import Route

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Port attributes compared for drift (its groups are bottom ids: networking.sync maps them).
_PORT_DRIFT = ("name", "admin_state_up", "allowed_address_pairs", "port_security_enabled")


@dataclass(frozen=True)
class Finding:
    pod: str
    kind: str
    top_id: str
    bottom_id: str | None
    problem: str            # vanished | top_deleted | orphan | drifted | unreachable
    action: str             # release | delete | adopt | sync | report
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Observed:
    """What the audit read for one pod and one type."""

    pod: str                                   # region name
    kind: str
    routes: list[Route]                        # rows of this type in this pod
    bottom: list[dict[str, Any]]               # the pod's resources of this type
    tops: dict[str, dict[str, Any]]            # central's documents by top id (existing ones)
    known_ids: frozenset[str] = frozenset()    # top and bottom ids of every row in this pod


def marker(item: dict[str, Any]) -> str | None:
    """The top id a bottom resource is marked with, if it is the gateway's."""
    top = item.get("description") or ""
    return top if _UUID.match(top) and top in (item.get("tags") or []) else None


def _in_use(item: dict[str, Any]) -> bool:
    """A port some device uses (a VM, a router, an agent's DHCP): not ours to delete.
    The DHCP port the gateway reserved for a pod (no agent took it over) is not."""
    device, owner = item.get("device_id") or "", str(item.get("device_owner") or "")
    if device == plan.DHCP_DEVICE and owner == "network:dhcp":
        return False
    return bool(device) or owner.startswith("network:")


def drift(kind: str, top: dict[str, Any], bottom: dict[str, Any]) -> list[str]:
    """Names of the synced attributes whose bottom value differs from central's."""
    if kind == "port":
        wanted = {f: top[f] for f in _PORT_DRIFT if f in top}
    else:
        wanted = plan.bottom_update(kind, top)[kind]
    return sorted(f for f in wanted if _norm(bottom.get(f)) != _norm(wanted[f]))


def _norm(value: Any) -> Any:
    if isinstance(value, list):
        return sorted(json.dumps(v, sort_keys=True) for v in value)
    return value


def judge(seen: Observed) -> list[Finding]:
    """The findings of one pod and type, in a stable order."""
    by_id = {item["id"]: item for item in seen.bottom}
    found = [f for route in seen.routes if route.bottom_id
             for f in _judge_route(seen, route, by_id.get(route.bottom_id))]
    found += [f for item in seen.bottom for f in _judge_orphan(seen, item)]
    return found


def _judge_route(seen: Observed, route: Route, item: dict[str, Any] | None) -> list[Finding]:
    def finding(problem: str, action: str, detail: str = "") -> list[Finding]:
        return [Finding(seen.pod, seen.kind, route.top_id, route.bottom_id, problem, action,
                        detail)]

    top = seen.tops.get(route.top_id)
    if item is None:
        return finding("vanished", "release", "routed copy missing in the pod")
    if top is None:
        if seen.kind == "port" and _in_use(item):
            return finding("top_deleted", "report", "port still in use in the pod")
        return finding("top_deleted", "delete", "top object no longer in central Neutron")
    changed = drift(seen.kind, top, item) if seen.kind != "security_group" else []
    return finding("drifted", "sync", ", ".join(changed)) if changed else []


def _judge_orphan(seen: Observed, item: dict[str, Any]) -> list[Finding]:
    top_id = marker(item)
    if top_id is None or top_id in seen.known_ids or item["id"] in seen.known_ids:
        return []
    if top_id in seen.tops:
        action = "adopt"
    elif seen.kind == "port" and _in_use(item):
        action = "report"
    else:
        action = "delete"
    return [Finding(seen.pod, seen.kind, top_id, item["id"], "orphan", action,
                    "marked copy without a routing row")]
