"""Bottom security groups: made where used, rules kept in step with central's."""

from __future__ import annotations

from typing import Any

from tricircle.networking import plan
from tricircle.networking.bottom import BottomNetworking
from tricircle.resources.network import SECURITY_GROUP


async def create(bottom: BottomNetworking, collection: str, body: dict[str, Any]) -> str:
    """POST `body` to the pod; the new resource's id."""
    answer = await bottom.neutron.call("POST", f"/{collection}", body)
    return str(next(iter(answer.values()))["id"])


async def ensure_group(bottom: BottomNetworking, top: dict[str, Any]) -> str:
    """The bottom copy of the top group `top` (central's document), rules in step."""
    project = top.get("project_id") or top.get("tenant_id") or ""
    body = plan.bottom_security_group_body(top, project)
    group, _ = await bottom.ensure(SECURITY_GROUP, top["id"],
                                   lambda: create(bottom, "security-groups", body))
    await sync_rules(bottom, top, group)
    return group


async def sync_rules(bottom: BottomNetworking, top: dict[str, Any], group: str) -> None:
    """Add the rules the bottom group lacks, delete the ones central no longer has."""
    have = await bottom.neutron.call("GET", f"/security-group-rules?security_group_id={group}")
    rules = (have or {}).get("security_group_rules", [])
    top_rules = top.get("security_group_rules", [])
    for body in plan.missing_rules(top_rules, rules, top["id"], group):
        await bottom.neutron.call("POST", "/security-group-rules", body)
    for rule_id in plan.extra_rules(top_rules, rules, top["id"], group):
        await bottom.neutron.call("DELETE", f"/security-group-rules/{rule_id}", missing_ok=True)
