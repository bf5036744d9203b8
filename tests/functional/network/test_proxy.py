"""The network surface forwards every Neutron call to central Neutron."""

from __future__ import annotations

import json

from tests.functional.network.conftest import P1


def _gw_root(gateway) -> str:
    return str(gateway.client.make_url("/network")).rstrip("/")


async def test_version_root_is_public_and_points_at_the_gateway(gateway):
    resp = await gateway.call("GET", "/network/", token=None)
    assert resp.status == 200
    doc = await resp.json()
    assert doc["versions"][0]["links"][0]["href"] == _gw_root(gateway) + "/v2.0/"
    assert gateway.neutron.calls == [("GET", "/")]


async def test_version_root_without_slash_is_served(gateway):
    resp = await gateway.call("GET", "/network", token=None)
    assert resp.status == 200
    assert (await resp.json())["versions"][0]["id"] == "v2.0"


async def test_create_passes_body_and_token_untouched_and_answers_201(gateway):
    raw = b'{"network": {"name": "net1", "admin_state_up": true}}'
    resp = await gateway.call("POST", "/network/v2.0/networks", data=raw,
                              headers={"Content-Type": "application/json"})
    assert resp.status == 201
    assert "Location" not in resp.headers
    assert (await resp.json())["network"]["name"] == "net1"
    assert gateway.neutron.bodies[-1] == raw
    seen = gateway.neutron.headers_seen[-1]
    assert seen["X-Auth-Token"] == P1
    assert seen["X-OpenStack-Request-ID"] == resp.headers["X-OpenStack-Request-ID"]
    assert resp.headers["X-OpenStack-Request-ID"] != "req-central-1"


async def test_paging_links_point_at_the_gateway_and_keep_the_query(gateway):
    for name in ("a", "b", "c"):
        await gateway.call("POST", "/network/v2.0/networks",
                           data=json.dumps({"network": {"name": name}}))
    resp = await gateway.call("GET", "/network/v2.0/networks?limit=1&name=a&name=b")
    doc = await resp.json()
    assert gateway.neutron.calls[-1] == ("GET", "/v2.0/networks?limit=1&name=a&name=b")
    rels = {link["rel"]: link["href"] for link in doc["networks_links"]}
    base = _gw_root(gateway) + "/v2.0/networks?limit=1&name=a&name=b&marker="
    assert rels["next"].startswith(base)
    assert rels["previous"].startswith(base) and rels["previous"].endswith("page_reverse=True")


async def test_neutron_errors_pass_through_in_their_own_form(gateway):
    resp = await gateway.call("GET", "/network/v2.0/networks/nope")
    assert resp.status == 404
    assert (await resp.json())["NeutronError"]["type"] == "NetworkNotFound"


async def test_delete_answers_204(gateway):
    created = await gateway.call("POST", "/network/v2.0/networks",
                                 data=json.dumps({"network": {"name": "x"}}))
    net = (await created.json())["network"]["id"]
    resp = await gateway.call("DELETE", f"/network/v2.0/networks/{net}")
    assert resp.status == 204
    assert await resp.read() == b""


async def test_bad_token_is_refused_before_central_neutron(gateway):
    resp = await gateway.call("GET", "/network/v2.0/networks", token="bad")
    assert resp.status == 401
    assert gateway.neutron.calls == []


async def test_unconfigured_central_neutron_is_a_503_neutron_error(unconfigured):
    resp = await unconfigured.call("GET", "/network/v2.0/networks")
    assert resp.status == 503
    error = (await resp.json())["NeutronError"]
    assert error["type"] == "HTTPServiceUnavailable"
    assert "central_neutron_url" in error["message"]


async def test_unreachable_central_neutron_is_a_503_neutron_error(central_down):
    resp = await central_down.call("GET", "/network/v2.0/networks")
    assert resp.status == 503
    assert (await resp.json())["NeutronError"]["message"] == "Central Neutron is unavailable."
