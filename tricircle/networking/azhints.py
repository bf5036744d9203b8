"""``availability_zone_hints`` of top networks: the top AZs a network may appear in.

Central Neutron has no agents, so it knows no availability zone and refuses any
hint. The gateway checks the hints against its own top AZs (the pods' ``az_name``),
keeps them on the central network as tags ``tricircle-az:<az>`` (set right
after the create: central refuses tags in a POST), and shows them back as
``availability_zone_hints`` (the tags hidden) in central's answers about networks.
A boot or interface attach in a pod whose AZ the hints exclude is refused before
anything is made (`check`).
Hints are fixed at creation, as in Neutron.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tricircle import faults
from tricircle.db.engine import Database
from tricircle.networking.central import CentralNeutron
from tricircle.pods import registry
from tricircle.pods.registry import PodInfo

TAG = "tricircle-az:"
_TAG_BYTES = TAG.encode()
_NETWORKS = re.compile(r"^/v2\.0/networks(?:/[^/?]+)?/?(?:\?.*)?$")


class AvailabilityZoneNotFound(faults.NotFound):
    code, neutron_type = "tricircle.availability_zone_not_found", "AvailabilityZoneNotFound"
    message = "AvailabilityZone %(az)s could not be found."


class NetworkNotInZone(faults.BadRequest):
    code = "tricircle.network_not_in_zone"
    message = ("Network %(id)s is not available in availability zone %(az)s "
               "(its availability_zone_hints: %(hints)s).")


def hints_of(network: dict[str, Any]) -> list[str]:
    """The hints of a central network document (from its tags)."""
    return [t[len(TAG):] for t in network.get("tags") or [] if t.startswith(TAG)]


def check(network: dict[str, Any], pod: PodInfo) -> None:
    """Raise NetworkNotInZone when the hints exclude `pod`'s top AZ."""
    hints = hints_of(network)
    if hints and pod.az_name not in hints:
        raise NetworkNotInZone(id=network.get("id"), az=pod.az_name, hints=", ".join(hints))


async def request_body(db: Database, method: str, path: str,
                       raw: bytes) -> tuple[bytes, list[list[str]]] | None:
    """A network create's body without its hints, and the hints of each network
    in it (checked); None when it has none (forwarded as sent). Raises
    AvailabilityZoneNotFound."""
    if method != "POST" or b"availability_zone_hints" not in raw or not _NETWORKS.match(path):
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        return None  # central answers its own 400
    items = doc.get("networks") if isinstance(doc, dict) else None
    items = items if isinstance(items, list) else [doc.get("network")]
    async with db.session() as s:
        known = {p.az_name for p in await registry.list_pods(s)}
    found: list[list[str]] = []
    for item in items:
        hints = item.get("availability_zone_hints") if isinstance(item, dict) else None
        if not isinstance(hints, list) or not all(isinstance(h, str) for h in hints):
            found.append([])
            continue  # central judges the shape
        for hint in hints:
            if hint not in known:
                raise AvailabilityZoneNotFound(az=hint)
        del item["availability_zone_hints"]
        found.append(list(hints))
    return json.dumps(doc).encode(), found


async def tag_created(central: CentralNeutron, token: str, body: bytes,
                      hints: list[list[str]]) -> bytes:
    """Tag the networks central just created with their hints (central refuses
    tags in a POST); the answer with the hints shown. If tagging fails, the new
    networks are deleted again and CentralRefused / CentralUnavailable raised."""
    doc = json.loads(body)
    nets = doc.get("networks") or [doc.get("network")]
    try:
        for net, wanted in zip(nets, hints, strict=False):
            for hint in wanted:
                resp = await central.call("PUT", f"/v2.0/networks/{net['id']}/tags/{TAG}{hint}",
                                          token)
                if resp.status not in (200, 201, 204):
                    raise CentralRefused(reason=f"network {net['id']} not tagged: {resp.status}")
            net["availability_zone_hints"] = wanted
    except faults.TricircleError:
        for net in nets:
            await central.call("DELETE", f"/v2.0/networks/{net['id']}", token)
        raise
    return json.dumps(doc).encode()


class CentralRefused(faults.ServiceUnavailable):
    code = "tricircle.availability_zone_hints_not_kept"
    message = "The network's availability_zone_hints could not be kept: %(reason)s"


def answer_body(path: str, body: bytes) -> bytes:
    """Central's answer about networks with the hint tags shown as hints."""
    if _TAG_BYTES not in body or not _NETWORKS.match(path):
        return body
    try:
        doc = json.loads(body)
    except ValueError:
        return body
    items = doc.get("networks") or [doc.get("network")] if isinstance(doc, dict) else []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("tags"), list):
            item["availability_zone_hints"] = hints_of(item)
            item["tags"] = [t for t in item["tags"] if not t.startswith(TAG)]
    return json.dumps(doc).encode()
