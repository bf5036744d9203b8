# ruff: noqa: F811  (the env fixture is imported from test_boot)
"""Remote groups expanded to the members in other pods (fake central and pod)."""

from __future__ import annotations

from tests.functional.network.test_boot import P1, Env, env  # noqa: F401  (fixture)
from tricircle.jobs import api as jobs
from tricircle.networking import sync
from tricircle.pods import registry
from tricircle.routing import table

SELF_RULE = {"id": "r1", "security_group_id": "g1", "direction": "ingress",
             "ethertype": "IPv4", "remote_group_id": "g1", "protocol": None,
             "port_range_min": None, "port_range_max": None, "remote_ip_prefix": None}


async def _member_elsewhere(env: Env) -> int:
    """A member of g1 realised in another pod (RegionTwo), with 10.0.0.99."""
    env.central.items["ports"]["other"] = {
        "id": "other", "network_id": "n1", "security_groups": ["g1"], "tags": [],
        "device_id": "vm-2", "fixed_ips": [{"subnet_id": "s1", "ip_address": "10.0.0.99"}]}
    async with env.db.session() as s:
        pod = await registry.create_pod(s, region_name="RegionTwo", az_name="az2")
        row = await table.create_route(s, top_id="other", pod_id=pod.id, project_id=P1,
                                       resource_type="port", bottom_id="b-other")
    return row.id


def _rules(env: Env) -> set[tuple[object, object]]:
    return {(r.get("remote_group_id"), r.get("remote_ip_prefix"))
            for r in env.neutron.of("security-group-rules")}


async def test_copy_lists_members_of_other_pods_and_forgets_them_when_they_go(
        env: Env) -> None:
    env.central.items["security-groups"]["g1"] = {"id": "g1", "name": "web", "tags": [],
                                                  "project_id": P1}
    env.central.items["security-group-rules"]["r1"] = SELF_RULE
    row = await _member_elsewhere(env)
    resp = await env.boot([{"uuid": env.net}], security_groups=[{"name": "web"}],
                          availability_zone="az1")
    assert resp.status == 202
    [group] = env.neutron.of("security-groups")
    assert _rules(env) == {(group["id"], None), (None, "10.0.0.99/32")}
    # the member leaves: its pod released it, and a members sync runs
    del env.central.items["ports"]["other"]
    async with env.db.session() as s:
        await table.release(s, row)
        await sync.enqueue_members(s, ["g1"], P1)
    await env.run_jobs()
    assert _rules(env) == {(group["id"], None)}


async def test_a_boot_queues_the_sync_of_its_groups_members(env: Env) -> None:
    env.central.items["security-groups"]["g1"] = {"id": "g1", "name": "web", "tags": [],
                                                  "project_id": P1}
    assert (await env.boot([{"uuid": env.net}], security_groups=[{"name": "web"}])).status \
        == 202
    async with env.db.session() as s:
        queued = await jobs.list_jobs(s, job_type=sync.SYNC)
    assert [j.resource_key for j in queued] == ["members:g1"]
