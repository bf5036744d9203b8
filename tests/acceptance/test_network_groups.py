# ruff: noqa: F811  (fixtures imported from test_network_servers)
"""Security groups across pods, checked in each pod directly.

Group `g` has a rule whose remote group is itself (like Neutron's default
group) and group `h` a rule whose remote group is `g`. Server A (az1) is in `g`,
server B (az2) in `g` and `h`. A pod cannot evaluate a remote group for ports
it does not hold, so each pod's copies list the *other* pod's members as
``remote_ip_prefix`` rules: updated when a member comes (B) and goes (B deleted).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.acceptance.test_network_servers import (  # noqa: F401  (fixtures)
    WAIT,
    _boot,
    _wait,
    ndemo,
    servers,
    top_net,
)

pytestmark = pytest.mark.lab


def _copy(pod: Any, top_id: str) -> Any:
    found = [g for g in pod.network.security_groups() if top_id in (g.tags or [])]
    return found[0] if found else None


def _prefixes(pod: Any, top_id: str) -> set[str]:
    """remote_ip_prefix of the pod's copy of group `top_id` ({} without a copy)."""
    copy = _copy(pod, top_id)
    if copy is None:
        return set()
    return {r.remote_ip_prefix for r in pod.network.security_group_rules(
        security_group_id=copy.id) if r.remote_ip_prefix}


def _ip(conn: Any, server: Any) -> str:
    [port] = list(conn.network.ports(device_id=server.id))
    return str(port.fixed_ips[0]["ip_address"])


def test_remote_group_rules_list_the_other_pods_members(
        lab: dict[str, Any], ndemo: Any, pod_admin: Any, top_net: Any,
        servers: list[Any]) -> None:
    net, _ = top_net
    g = ndemo.network.create_security_group(name=f"ng-g-{uuid.uuid4().hex[:6]}")
    h = ndemo.network.create_security_group(name=f"ng-h-{uuid.uuid4().hex[:6]}")
    one, two = pod_admin("RegionOne"), pod_admin("RegionTwo")
    try:
        ndemo.network.create_security_group_rule(
            security_group_id=g.id, direction="ingress", ethertype="IPv4", protocol="tcp",
            port_range_min=22, port_range_max=22, remote_group_id=g.id)
        ndemo.network.create_security_group_rule(
            security_group_id=h.id, direction="ingress", ethertype="IPv4", protocol="tcp",
            port_range_min=80, port_range_max=80, remote_group_id=g.id)
        a = _boot(ndemo, lab, servers, "az1", [{"uuid": net.id}],
                  security_groups=[{"name": g.name}])
        a_ip = _ip(ndemo, a)
        b = _boot(ndemo, lab, servers, "az2", [{"uuid": net.id}],
                  security_groups=[{"name": g.name}, {"name": h.name}])
        b_ip = _ip(ndemo, b)
        # the member added in RegionTwo reaches RegionOne's copy, and the other way round
        _wait(lambda: f"{b_ip}/32" in _prefixes(one, g.id), "B's address in RegionOne's g")
        _wait(lambda: f"{a_ip}/32" in _prefixes(two, g.id), "A's address in RegionTwo's g")
        _wait(lambda: f"{a_ip}/32" in _prefixes(two, h.id), "A's address in RegionTwo's h")
        assert f"{a_ip}/32" not in _prefixes(one, g.id)  # RegionOne evaluates A itself
        assert f"{b_ip}/32" not in _prefixes(two, g.id)
        h_two = _copy(two, h.id)
        g_two = _copy(two, g.id)
        assert any(r.remote_group_id == g_two.id and r.port_range_min == 80 for r in
                   two.network.security_group_rules(security_group_id=h_two.id))
        # the member deleted leaves RegionOne's copy
        ndemo.compute.delete_server(b)
        ndemo.compute.wait_for_delete(b, wait=WAIT)
        servers.remove(b)
        _wait(lambda: f"{b_ip}/32" not in _prefixes(one, g.id), "B's address gone from g")
        assert f"{a_ip}/32" in _prefixes(two, g.id)
    finally:
        for made in list(servers):
            ndemo.compute.delete_server(made)
            ndemo.compute.wait_for_delete(made, wait=WAIT)
            servers.remove(made)
            _wait(lambda made=made: not list(ndemo.network.ports(device_id=made.id)),
                  "ports released")
        ndemo.network.delete_security_group(h)
        ndemo.network.delete_security_group(g)
    _wait(lambda: _copy(one, g.id) is None and _copy(two, g.id) is None
          and _copy(two, h.id) is None, "bottom groups removed")
