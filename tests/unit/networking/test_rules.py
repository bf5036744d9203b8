"""A bottom group's rules: central's, remote groups mapped or expanded (no cloud)."""

from __future__ import annotations

from tricircle.networking import rules
from tricircle.networking.rules import RemoteView

INGRESS = {"direction": "ingress", "ethertype": "IPv4"}


def _bodies(adds: list[dict]) -> list[dict]:
    return [a["security_group_rule"] for a in adds]


def test_self_reference_maps_to_the_copy_and_present_rules_are_kept() -> None:
    top = [{"direction": "egress", "ethertype": "IPv4"},
           {**INGRESS, "remote_group_id": "top-sg"},
           {**INGRESS, "protocol": "tcp", "port_range_min": 22, "port_range_max": 22,
            "remote_ip_prefix": "0.0.0.0/0"}]
    bottom = [{"id": "e", "direction": "egress", "ethertype": "IPv4"}]
    add, delete = rules.rule_changes(top, bottom, "top-sg", "b-sg", RemoteView())
    assert delete == []
    assert _bodies(add) == [
        {**INGRESS, "remote_group_id": "b-sg", "security_group_id": "b-sg"},
        {**INGRESS, "protocol": "tcp", "port_range_min": 22, "port_range_max": 22,
         "remote_ip_prefix": "0.0.0.0/0", "security_group_id": "b-sg"}]


def test_members_in_other_pods_become_address_rules_of_the_rules_ethertype() -> None:
    top = [{**INGRESS, "protocol": "tcp", "port_range_min": 80, "port_range_max": 80,
            "remote_group_id": "web"},
           {"direction": "ingress", "ethertype": "IPv6", "remote_group_id": "web"}]
    view = RemoteView(local={"web": "b-web"},
                      elsewhere={"web": ["10.0.0.7", "fd00::7"]})
    add, _ = rules.rule_changes(top, [], "app", "b-app", view)
    assert _bodies(add) == [
        {**INGRESS, "protocol": "tcp", "port_range_min": 80, "port_range_max": 80,
         "remote_group_id": "b-web", "security_group_id": "b-app"},
        {**INGRESS, "protocol": "tcp", "port_range_min": 80, "port_range_max": 80,
         "remote_ip_prefix": "10.0.0.7/32", "description": rules.EXPANDED + "web",
         "security_group_id": "b-app"},
        {"direction": "ingress", "ethertype": "IPv6", "remote_group_id": "b-web",
         "security_group_id": "b-app"},
        {"direction": "ingress", "ethertype": "IPv6", "remote_ip_prefix": "fd00::7/128",
         "description": rules.EXPANDED + "web", "security_group_id": "b-app"}]


def test_a_remote_group_with_no_copy_here_is_only_its_members_elsewhere() -> None:
    top = [{**INGRESS, "remote_group_id": "web"}]
    add, _ = rules.rule_changes(top, [], "app", "b-app", RemoteView(elsewhere={"web": []}))
    assert add == []


def test_a_member_that_left_loses_its_rule() -> None:
    top = [{**INGRESS, "remote_group_id": "top-sg"}]
    bottom = [{"id": "self", **INGRESS, "remote_group_id": "b-sg"},
              {"id": "stay", **INGRESS, "remote_ip_prefix": "10.0.0.5/32"},
              {"id": "left", **INGRESS, "remote_ip_prefix": "10.0.0.6/32"}]
    add, delete = rules.rule_changes(top, bottom, "top-sg", "b-sg",
                                     RemoteView(elsewhere={"top-sg": ["10.0.0.5"]}))
    assert (add, delete) == ([], ["left"])


def test_a_user_rule_equal_to_an_expansion_is_one_rule() -> None:
    top = [{**INGRESS, "remote_ip_prefix": "10.0.0.5/32"}, {**INGRESS, "remote_group_id": "g"}]
    add, _ = rules.rule_changes(top, [], "x", "b-x", RemoteView(elsewhere={"g": ["10.0.0.5"]}))
    assert _bodies(add) == [{**INGRESS, "remote_ip_prefix": "10.0.0.5/32",
                             "security_group_id": "b-x"}]


def test_member_addresses_are_those_of_ports_realised_in_other_pods() -> None:
    ports = [{"id": "here", "fixed_ips": [{"ip_address": "10.0.0.1"}]},
             {"id": "there", "fixed_ips": [{"ip_address": "10.0.0.2"},
                                           {"ip_address": "fd00::2"}]},
             {"id": "nowhere", "fixed_ips": [{"ip_address": "10.0.0.3"}]}]
    assert rules.member_addresses(ports, {"here": "pod1", "there": "pod2"}, "pod1") == \
        ["10.0.0.2", "fd00::2"]


def test_remote_groups_of_rules() -> None:
    top = [{"remote_group_id": "b"}, {"remote_group_id": None}, {"remote_group_id": "a"},
           {"remote_group_id": "b"}]
    assert rules.remote_groups(top) == ["a", "b"]
