"""The network surface against the lab's central Neutron, with openstacksdk.

Every call goes through the gateway's ``/network`` (``network_endpoint_override``):
CRUD of networks, subnets, ports, routers and security groups, Neutron's own
errors, paging links pointing at the gateway, tenant isolation.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from openstack import exceptions as os_exc

pytestmark = pytest.mark.lab


def network_conn(lab: dict[str, Any], gateway: Any, user: str, project: str) -> Any:
    """An openstacksdk connection whose compute and network calls go through `gateway`
    (which is pointed at the lab's central Neutron)."""
    import openstack

    gateway.conf.set_override("central_neutron_url", lab["central_neutron"],
                              group="networking")
    return openstack.connect(
        auth_url=lab["auth_url"], username=user, password=lab.get("password", "labpass"),
        project_name=project, user_domain_name="Default", project_domain_name="Default",
        identity_api_version="3", region_name=lab.get("central_region", "CentralRegion"),
        compute_endpoint_override=gateway.compute_url,
        network_endpoint_override=gateway.url + "/network")


def central_admin(lab: dict[str, Any]) -> Any:
    """Admin straight to central Neutron (to check what really exists there)."""
    import openstack

    return openstack.connect(
        auth_url=lab["auth_url"], username="admin", password=lab.get("password", "labpass"),
        project_name="admin", user_domain_name="Default", project_domain_name="Default",
        identity_api_version="3", region_name=lab.get("central_region", "CentralRegion"),
        network_endpoint_override=lab["central_neutron"])


@pytest.fixture(scope="module")
def ndemo(lab: dict[str, Any], gateway: Any) -> Any:
    return network_conn(lab, gateway, "demo", "demo")


@pytest.fixture(scope="module")
def nalt(lab: dict[str, Any], gateway: Any) -> Any:
    return network_conn(lab, gateway, "alt_demo", "alt_demo")


@pytest.fixture
def cleanup(ndemo: Any) -> Iterator[list[Callable[[], Any]]]:
    """Deleters run in reverse order after the test, whatever happened."""
    undo: list[Callable[[], Any]] = []
    yield undo
    for fn in reversed(undo):
        try:
            fn()
        except os_exc.SDKException:
            pass


def _name(tag: str) -> str:
    return f"nw-{tag}-{uuid.uuid4().hex[:6]}"


def test_version_root_is_central_neutrons_with_gateway_hrefs(gateway: Any, ndemo: Any) -> None:
    doc = requests.get(gateway.url + "/network/", timeout=30).json()
    assert doc["versions"][0]["id"] == "v2.0"
    assert doc["versions"][0]["links"][0]["href"] == gateway.url + "/network/v2.0/"


def test_network_subnet_port_crud(ndemo: Any, cleanup: list[Any]) -> None:
    net = ndemo.network.create_network(name=_name("net"))
    cleanup.append(lambda: ndemo.network.delete_network(net))
    subnet = ndemo.network.create_subnet(network_id=net.id, cidr="10.77.0.0/24", ip_version=4)
    cleanup.append(lambda: ndemo.network.delete_subnet(subnet))
    port = ndemo.network.create_port(network_id=net.id, name=_name("port"))
    cleanup.append(lambda: ndemo.network.delete_port(port))
    assert port.fixed_ips[0]["subnet_id"] == subnet.id
    updated = ndemo.network.update_network(net, name=net.name + "-x")
    assert ndemo.network.get_network(net.id).name == updated.name
    ndemo.network.delete_port(port)
    assert ndemo.network.find_port(port.id) is None


def test_router_and_security_group_crud(ndemo: Any, cleanup: list[Any]) -> None:
    router = ndemo.network.create_router(name=_name("router"))
    cleanup.append(lambda: ndemo.network.delete_router(router))
    group = ndemo.network.create_security_group(name=_name("sg"))
    cleanup.append(lambda: ndemo.network.delete_security_group(group))
    rule = ndemo.network.create_security_group_rule(
        security_group_id=group.id, direction="ingress", protocol="tcp", port_range_min=22,
        port_range_max=22, ethertype="IPv4")
    assert rule.security_group_id == group.id
    assert ndemo.network.get_router(router.id).name == router.name


def test_errors_are_central_neutrons_own(ndemo: Any, cleanup: list[Any]) -> None:
    net = ndemo.network.create_network(name=_name("err"))
    cleanup.append(lambda: ndemo.network.delete_network(net))
    resp = ndemo.network.post("/subnets", json={"subnet": {
        "network_id": net.id, "cidr": "10.0.0.0/99", "ip_version": 4}})
    assert resp.status_code == 400
    assert resp.json()["NeutronError"]["type"] == "InvalidInput"
    missing = ndemo.network.get(f"/networks/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert missing.json()["NeutronError"]["type"] == "NetworkNotFound"


def test_paging_links_point_at_the_gateway(gateway: Any, ndemo: Any,
                                           cleanup: list[Any]) -> None:
    for _ in range(2):
        net = ndemo.network.create_network(name=_name("page"))
        cleanup.append(lambda net=net: ndemo.network.delete_network(net))
    doc = ndemo.network.get("/networks?limit=1").json()
    hrefs = {link["rel"]: link["href"] for link in doc["networks_links"]}
    assert set(hrefs) == {"next", "previous"}
    assert all(h.startswith(gateway.url + "/network/v2.0/networks?") for h in hrefs.values())
    names = [n.name for n in ndemo.network.networks(paginated=True, limit=1)]
    assert len(names) == len(set(names)) >= 2


def test_another_tenant_cannot_see_the_network(ndemo: Any, nalt: Any,
                                               cleanup: list[Any]) -> None:
    net = ndemo.network.create_network(name=_name("mine"))
    cleanup.append(lambda: ndemo.network.delete_network(net))
    resp = nalt.network.get(f"/networks/{net.id}")
    assert resp.status_code == 404
    assert resp.json()["NeutronError"]["type"] == "NetworkNotFound"
    assert net.id not in {n.id for n in nalt.network.networks()}


def test_resource_list_points_at_the_gateway(gateway: Any, ndemo: Any) -> None:
    resp = requests.get(gateway.url + "/network/v2.0/", timeout=30,
                        headers={"X-Auth-Token": ndemo.auth_token})
    assert resp.status_code == 200
    hrefs = [link["href"] for r in resp.json()["resources"] for link in r["links"]]
    assert hrefs and all(h.startswith(gateway.url + "/network/v2.0/") for h in hrefs)
    assert resp.headers["X-OpenStack-Request-ID"].startswith("req-")


def test_without_a_token_the_api_is_refused_like_neutron(gateway: Any, ndemo: Any) -> None:
    resp = requests.get(gateway.url + "/network/v2.0/networks", timeout=30)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Keystone uri=")
