# ruff: noqa: F811  (fixtures imported from test_network_servers)
"""``os-interface`` attach/detach through the gateway, checked in the pod directly.

A server on a top network in az2 (RegionTwo) gets a second top network by
``net_id`` and a user's port by ``port_id``: each realised in RegionTwo with
central's address and MAC, answers naming top ids; detaching removes the bottom
port, deletes the central port the gateway made and unbinds the user's. A network
whose ``availability_zone_hints`` exclude az2 is refused there (boot and attach), and
a boot on it without an AZ is placed in az1.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.acceptance.test_network_servers import (  # noqa: F401  (fixtures)
    WAIT,
    _boot,
    _bottom_ports,
    _wait,
    ndemo,
    servers,
    top_net,
)

pytestmark = pytest.mark.lab


def _interfaces(conn: Any, server: Any) -> dict[str, Any]:
    resp = conn.compute.get(f"/servers/{server.id}/os-interface")
    assert resp.status_code == 200, resp.text
    return {i["port_id"]: i for i in resp.json()["interfaceAttachments"]}


def _attach(conn: Any, server: Any, **attachment: Any) -> dict[str, Any]:
    resp = conn.compute.post(f"/servers/{server.id}/os-interface",
                             json={"interfaceAttachment": attachment})
    assert resp.status_code == 200, resp.text
    return resp.json()["interfaceAttachment"]  # type: ignore[no-any-return]


def _refusals(lab: dict[str, Any], ndemo: Any, pod_admin: Any, server: Any,
              servers: list[Any]) -> None:
    """Unknown or excluded networks are Nova's 400 for `server` (in az2), nothing made."""
    resp = ndemo.compute.post(f"/servers/{server.id}/os-interface",
                              json={"interfaceAttachment": {"net_id": str(uuid.uuid4())}})
    assert resp.status_code == 400
    assert "could not be found" in resp.json()["badRequest"]["message"]
    # availability_zone_hints: unknown zones are Neutron's 404; az1 only keeps it out of az2
    made = ndemo.network.post("/networks", json={"network": {
        "name": "ni-bad", "availability_zone_hints": ["no-such-az"]}})
    assert made.status_code == 404
    assert made.json()["NeutronError"]["type"] == "AvailabilityZoneNotFound"
    made = ndemo.network.post("/networks", json={"network": {
        "name": f"ni-az1-{uuid.uuid4().hex[:6]}", "availability_zone_hints": ["az1"]}})
    assert made.status_code == 201, made.text
    only_az1 = made.json()["network"]
    try:
        assert only_az1["availability_zone_hints"] == ["az1"]
        assert ndemo.network.get_network(only_az1["id"]).availability_zone_hints == ["az1"]
        ndemo.network.create_subnet(network_id=only_az1["id"], cidr="10.75.0.0/24",
                                    ip_version=4)
        resp = ndemo.compute.post(f"/servers/{server.id}/os-interface", json={
            "interfaceAttachment": {"net_id": only_az1["id"]}})
        assert resp.status_code == 400
        assert "availability zone az2" in resp.json()["badRequest"]["message"]
        resp = ndemo.compute.post("/servers", json={"server": {
            "name": "ni-excluded", "imageRef": lab["image_id"], "flavorRef": lab["flavor_id"],
            "availability_zone": "az2", "networks": [{"uuid": only_az1["id"]}]}})
        assert resp.status_code == 400
        assert not list(ndemo.network.ports(network_id=only_az1["id"]))
        assert not [n for n in pod_admin("RegionTwo").network.networks()
                    if only_az1["id"] in (n.tags or [])]
        # without an AZ, the scheduler keeps the server where its network may appear
        placed = ndemo.compute.create_server(
            name="ni-placed", image_id=lab["image_id"], flavor_id=lab["flavor_id"],
            networks=[{"uuid": only_az1["id"]}])
        servers.append(placed)
        placed = ndemo.compute.wait_for_server(placed, wait=WAIT)
        assert placed.availability_zone == "az1"
        ndemo.compute.delete_server(placed)
        ndemo.compute.wait_for_delete(placed, wait=WAIT)
        servers.remove(placed)
        _wait(lambda: not list(ndemo.network.ports(device_id=placed.id)), "ports released")
    finally:
        ndemo.network.delete_network(only_az1["id"])
    _wait(lambda: not [n for n in pod_admin("RegionOne").network.networks()
                       if only_az1["id"] in (n.tags or [])], "RegionOne copy removed")


def test_attach_and_detach_top_network_and_port(lab: dict[str, Any], ndemo: Any,
                                                pod_admin: Any, top_net: Any,
                                                servers: list[Any]) -> None:
    net, _ = top_net
    pod = pod_admin("RegionTwo")
    net2 = ndemo.network.create_network(name=f"ni-{uuid.uuid4().hex[:6]}")
    ndemo.network.create_subnet(network_id=net2.id, cidr="10.77.0.0/24", ip_version=4)
    mine = ndemo.network.create_port(network_id=net2.id, name="ni-mine")
    try:
        server = _boot(ndemo, lab, servers, "az2", [{"uuid": net.id}])
        _refusals(lab, ndemo, pod_admin, server, servers)
        # by network, with an address of the user's choice
        made = _attach(ndemo, server, net_id=net2.id,
                       fixed_ips=[{"ip_address": "10.77.0.40"}])
        top_port = ndemo.network.get_port(made["port_id"])
        assert made["net_id"] == net2.id
        assert top_port.device_id == server.id
        assert top_port.fixed_ips[0]["ip_address"] == "10.77.0.40"
        [bottom] = _bottom_ports(pod, top_port.id)
        assert (bottom.mac_address, bottom.fixed_ips[0]["ip_address"]) == \
            (top_port.mac_address, "10.77.0.40")
        # by port
        attached = _attach(ndemo, server, port_id=mine.id)
        assert attached["port_id"] == mine.id
        assert ndemo.network.get_port(mine.id).device_id == server.id
        assert len(_bottom_ports(pod, mine.id)) == 1
        _wait(lambda: {top_port.id, mine.id} <= set(_interfaces(ndemo, server)),
              "interfaces listed under top ids")
        # detach both
        for port in (top_port.id, mine.id):
            resp = ndemo.compute.delete(f"/servers/{server.id}/os-interface/{port}")
            assert resp.status_code == 202, resp.text
        _wait(lambda: not _bottom_ports(pod, top_port.id) and not _bottom_ports(pod, mine.id),
              "bottom ports removed")
        _wait(lambda: ndemo.network.find_port(top_port.id) is None,
              "the gateway's central port deleted")
        _wait(lambda: ndemo.network.get_port(mine.id).device_id == "", "the user's port unbound")
        assert set(_interfaces(ndemo, server)).isdisjoint({top_port.id, mine.id})
    finally:
        for server in list(servers):
            ndemo.compute.delete_server(server)
            ndemo.compute.wait_for_delete(server, wait=WAIT)
            servers.remove(server)
            _wait(lambda server=server: not list(ndemo.network.ports(device_id=server.id)),
                  "ports released")
        ndemo.network.delete_port(mine, ignore_missing=True)
        ndemo.network.delete_network(net2)
    _wait(lambda: not [n for n in pod.network.networks() if net2.id in (n.tags or [])],
          "bottom copy of the second network removed")
