"""The audit's judgement of one pod's copies (no cloud)."""

from __future__ import annotations

from datetime import datetime

from tricircle.networking.reconcile import Observed, drift, judge, marker
from tricircle.routing.table import Route

TOP = "11111111-2222-3333-4444-555555555555"
GONE = "99999999-2222-3333-4444-555555555555"


def _route(top: str, bottom: str | None, kind: str = "network") -> Route:
    return Route(1, top, bottom, "pod1", "RegionOne", "proj", kind, datetime(2026, 1, 1))


def _net(bottom_id: str, top: str, **attrs: object) -> dict:
    return {"id": bottom_id, "description": top, "tags": [top], "name": "n",
            "admin_state_up": True, "shared": False, **attrs}


def _seen(routes: list[Route], bottom: list[dict], tops: dict, kind: str = "network",
          known: frozenset[str] | None = None) -> Observed:
    ids = known if known is not None else frozenset(
        {r.top_id for r in routes} | {r.bottom_id for r in routes if r.bottom_id})
    return Observed("RegionOne", kind, routes, bottom, tops, ids)


def _problems(found: list) -> list[tuple[str, str, str]]:
    return [(f.top_id, f.problem, f.action) for f in found]


def test_a_copy_in_step_is_no_finding() -> None:
    top = {"id": TOP, "name": "n", "admin_state_up": True, "shared": False}
    assert judge(_seen([_route(TOP, "b1")], [_net("b1", TOP)], {TOP: top})) == []


def test_a_vanished_copy_releases_its_row() -> None:
    assert _problems(judge(_seen([_route(TOP, "b1")], [], {TOP: {"id": TOP}}))) == \
        [(TOP, "vanished", "release")]


def test_a_copy_whose_top_is_gone_is_deleted() -> None:
    assert _problems(judge(_seen([_route(TOP, "b1")], [_net("b1", TOP)], {}))) == \
        [(TOP, "top_deleted", "delete")]


def test_a_port_still_used_is_only_reported() -> None:
    port = {"id": "b1", "description": TOP, "tags": [TOP], "device_id": "vm"}
    assert _problems(judge(_seen([_route(TOP, "b1", "port")], [port], {}, "port"))) == \
        [(TOP, "top_deleted", "report")]
    orphan = {**port, "device_owner": "network:router_interface", "device_id": ""}
    assert _problems(judge(_seen([], [orphan], {}, "port"))) == [(TOP, "orphan", "report")]


def test_orphans_are_adopted_when_the_top_exists_else_deleted() -> None:
    found = judge(_seen([], [_net("b1", TOP), _net("b2", GONE)], {TOP: {"id": TOP}}))
    assert _problems(found) == [(TOP, "orphan", "adopt"), (GONE, "orphan", "delete")]


def test_unmarked_resources_and_those_known_to_any_row_are_left_alone() -> None:
    plain = {"id": "b3", "description": "mine", "tags": []}
    other_type = _net("b4", TOP)  # e.g. a row of another routing type names it
    assert judge(_seen([], [plain, other_type], {}, known=frozenset({TOP}))) == []


def test_a_reservation_is_left_to_the_repair() -> None:
    assert judge(_seen([_route(TOP, None)], [_net("b1", TOP)], {})) == []


def test_drift_names_the_attributes_that_differ() -> None:
    top = {"id": TOP, "name": "new", "admin_state_up": True, "shared": False}
    assert drift("network", top, _net("b1", TOP)) == ["name"]
    found = judge(_seen([_route(TOP, "b1")], [_net("b1", TOP)], {TOP: top}))
    assert [(f.problem, f.action, f.detail) for f in found] == [("drifted", "sync", "name")]


def test_port_drift_ignores_group_ids_and_pair_order() -> None:
    pairs = [{"ip_address": "10.0.0.9", "mac_address": "m"}, {"ip_address": "10.0.0.8"}]
    top = {"id": TOP, "name": "p", "admin_state_up": True, "security_groups": ["top-sg"],
           "allowed_address_pairs": pairs}
    bottom = {"id": "b", "name": "p", "admin_state_up": True, "security_groups": ["b-sg"],
              "allowed_address_pairs": list(reversed(pairs))}
    assert drift("port", top, bottom) == []


def test_marker_is_a_top_id_in_description_and_tags() -> None:
    assert marker({"description": TOP, "tags": [TOP]}) == TOP
    assert marker({"description": TOP, "tags": []}) is None
    assert marker({"description": "x", "tags": ["x"]}) is None


def test_the_gateways_reserved_dhcp_port_of_a_deleted_subnet_goes() -> None:
    port = {"id": "b1", "description": TOP, "tags": [TOP], "device_owner": "network:dhcp",
            "device_id": "reserved_dhcp_port"}
    assert _problems(judge(_seen([_route(TOP, "b1", "port")], [port], {}, "port"))) == \
        [(TOP, "top_deleted", "delete")]
