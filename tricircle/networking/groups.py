"""Bottom security groups: made where used, rules kept in step with central's,
remote groups expanded to the addresses of their members in other pods
(`tricircle.networking.rules`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from tricircle.networking import plan, rules
from tricircle.networking.bottom import BottomNetworking
from tricircle.resources.network import PORT, SECURITY_GROUP
from tricircle.routing import table

# Reads central Neutron as the service account: path under /v2.0 -> JSON document.
CentralGet = Callable[[str], Awaitable[Any]]


async def create(bottom: BottomNetworking, collection: str, body: dict[str, Any]) -> str:
    """POST `body` to the pod; the new resource's id. A subnet asked for no pool
    gets none: Neutron reads ``allocation_pools: []`` in a POST as "the whole
    range" (the pod would hand out addresses central did not), so a PUT empties
    the pool right after (one call more, once per copy)."""
    answer = await bottom.neutron.call("POST", f"/{collection}", body)
    made = next(iter(answer.values()))
    if collection == "subnets" and body["subnet"].get("allocation_pools") == [] \
            and made.get("allocation_pools"):
        await bottom.neutron.call("PUT", f"/subnets/{made['id']}",
                                  {"subnet": {"allocation_pools": []}})
    return str(made["id"])


async def ensure_group(bottom: BottomNetworking, top: dict[str, Any],
                       central_get: CentralGet) -> str:
    """The bottom copy of the top group `top` (central's document), rules in step."""
    project = top.get("project_id") or top.get("tenant_id") or ""
    body = plan.bottom_security_group_body(top, project)
    group, _ = await bottom.ensure(SECURITY_GROUP, top["id"],
                                   lambda: create(bottom, "security-groups", body))
    await sync_rules(bottom, top, group, central_get)
    return group


async def sync_rules(bottom: BottomNetworking, top: dict[str, Any], group: str,
                     central_get: CentralGet) -> None:
    """Add the rules the bottom group lacks, delete the ones central no longer has
    (remote groups expanded for this pod)."""
    top_rules = top.get("security_group_rules", [])
    viewed: Any = remote_view(bottom, top_rules, central_get)
    view, have = await _all([viewed, bottom.neutron.call(
        "GET", f"/security-group-rules?security_group_id={group}")])
    add, delete = rules.rule_changes(top_rules, (have or {}).get("security_group_rules", []),
                                     top["id"], group, view)
    # independent of each other: at once (a group new to a pod is on a boot's path)
    await _all([bottom.neutron.call("DELETE", f"/security-group-rules/{rule_id}",
                                    missing_ok=True) for rule_id in delete])
    await _all([bottom.neutron.call("POST", "/security-group-rules", body) for body in add])


async def _all(calls: list[Awaitable[Any]]) -> list[Any]:
    """Run `calls` at once, each to its end; their results, or the first failure."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    failed = next((r for r in results if isinstance(r, BaseException)), None)
    if failed is not None:
        raise failed
    return list(results)


async def remote_view(bottom: BottomNetworking, top_rules: list[dict[str, Any]],
                      central_get: CentralGet) -> rules.RemoteView:
    """For each remote group of `top_rules`: its copy in this pod (if any) and the
    addresses of its members realised in other pods."""
    view = rules.RemoteView()
    pod_id = bottom.neutron.pod.id
    for remote in rules.remote_groups(top_rules):
        route = await bottom.existing(SECURITY_GROUP, remote)
        if route is not None and route.bottom_id:
            view.local[remote] = route.bottom_id
        found = await central_get(f"/ports?security_groups={remote}"
                                  "&fields=id&fields=fixed_ips")
        ports = (found or {}).get("ports", [])
        async with bottom.db.session() as s:
            routes = await table.lookup_many(s, [p["id"] for p in ports], PORT)
        pod_of = {r.top_id: r.pod_id for r in routes if r.bottom_id}
        view.elsewhere[remote] = rules.member_addresses(ports, pod_of, pod_id)
    return view
