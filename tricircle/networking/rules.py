"""Pure planning of a bottom security group's rules, remote groups expanded.

A pod evaluates a rule with ``remote_group_id`` only for the ports *it* has in
that group. So the copy of a top group in one pod gets, for each top rule:

* no remote group, or a remote group with a copy in this pod: the same rule
  (remote group mapped to its bottom copy);
* a remote group: one more rule per address of the group's members realised in
  *other* pods (``remote_ip_prefix`` = the address as a /32 or /128, same
  direction, protocol and ports; only addresses of the rule's ethertype),
  described `EXPANDED` + the remote group's top id.

The default group (rules whose remote group is the group itself) works like
Neutron's: members in every pod reach each other. No I/O here.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

# Description of the rules the gateway adds for members of a remote group in other pods.
EXPANDED = "tricircle: member of remote group "
_FIELDS = ("direction", "ethertype", "protocol", "port_range_min", "port_range_max",
           "remote_ip_prefix")
RuleKey = tuple[Any, ...]


@dataclass(frozen=True)
class RemoteView:
    """What one pod's copy needs to know of the remote groups of a group's rules."""

    local: dict[str, str] = field(default_factory=dict)       # top group -> bottom copy here
    elsewhere: dict[str, list[str]] = field(default_factory=dict)  # top group -> addresses


def _key(rule: dict[str, Any]) -> RuleKey:
    return (*(rule.get(f) for f in _FIELDS), rule.get("remote_group_id"))


def _prefix(address: str, ethertype: str | None) -> str | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if f"IPv{ip.version}" != (ethertype or "IPv4"):
        return None
    return f"{ip.compressed}/{ip.max_prefixlen}"


def desired_rules(top_rules: list[dict[str, Any]], top_group: str, bottom_group: str,
                  view: RemoteView) -> dict[RuleKey, dict[str, Any]]:
    """{key: rule body (without ``security_group_id``)} the copy must have."""
    local = {**view.local, top_group: bottom_group}
    wanted: dict[RuleKey, dict[str, Any]] = {}
    for rule in top_rules:
        base = {f: rule[f] for f in _FIELDS if rule.get(f) is not None}
        remote = rule.get("remote_group_id")
        if not remote:
            wanted.setdefault(_key(base), base)
            continue
        if remote in local:
            body = {**base, "remote_group_id": local[remote]}
            wanted.setdefault(_key(body), body)
        for address in view.elsewhere.get(remote, []):
            prefix = _prefix(address, rule.get("ethertype"))
            if prefix is not None:
                body = {**base, "remote_ip_prefix": prefix, "description": EXPANDED + remote}
                wanted.setdefault(_key(body), body)
    return wanted


def rule_changes(top_rules: list[dict[str, Any]], bottom_rules: list[dict[str, Any]],
                 top_group: str, bottom_group: str,
                 view: RemoteView) -> tuple[list[dict[str, Any]], list[str]]:
    """(bodies of the rules to add to `bottom_group`, ids of its rules to delete)."""
    wanted = desired_rules(top_rules, top_group, bottom_group, view)
    have = {_key(r): r["id"] for r in bottom_rules}
    add = [{"security_group_rule": {**body, "security_group_id": bottom_group}}
           for key, body in wanted.items() if key not in have]
    delete = [rule_id for key, rule_id in have.items() if key not in wanted]
    delete += [r["id"] for r in bottom_rules if have.get(_key(r)) != r["id"]]  # duplicates
    return add, delete


def remote_groups(top_rules: list[dict[str, Any]]) -> list[str]:
    """Top ids of the groups the rules name as remote group, sorted."""
    return sorted({r["remote_group_id"] for r in top_rules if r.get("remote_group_id")})


def member_addresses(ports: list[dict[str, Any]], pod_of: dict[str, str],
                     pod_id: str) -> list[str]:
    """Addresses of the `ports` realised in a pod other than `pod_id` (`pod_of`:
    top port id -> pod id of its copy), sorted and without duplicates."""
    found = {ip["ip_address"] for port in ports
             if pod_of.get(port["id"]) not in (None, pod_id)
             for ip in port.get("fixed_ips", []) if ip.get("ip_address")}
    return sorted(found)
