"""Where a project's servers are, as the merged list reads it from the routing
table (every backend: the fixture `database` is parametrized)."""

from __future__ import annotations

from tricircle.db.engine import Database
from tricircle.fanout.routed import RoutedServerSource
from tricircle.pods import registry
from tricircle.routing import table


async def _pods(db: Database) -> dict[str, str]:
    async with db.session() as s:
        one = await registry.create_pod(s, region_name="RegionOne", az_name="az1")
        two = await registry.create_pod(s, region_name="RegionTwo", az_name="az2")
        three = await registry.create_pod(s, region_name="RegionThree", az_name="az3")
    return {"RegionOne": one.id, "RegionTwo": two.id, "RegionThree": three.id}


async def _server(db: Database, pod_id: str, top_id: str, bottom_id: str | None,
                  project: str = "p1") -> None:
    async with db.session() as s:
        route = await table.reserve(s, top_id=top_id, pod_id=pod_id, project_id=project,
                                    resource_type="server")
        if bottom_id is not None:
            await table.bind(s, route.id, bottom_id)


async def test_only_pods_holding_a_moved_server_need_a_top_id_lookup(
        database: Database) -> None:
    pods = await _pods(database)
    await _server(database, pods["RegionOne"], "s1", "s1")
    await _server(database, pods["RegionOne"], "s2", None)          # still being created
    await _server(database, pods["RegionTwo"], "s3", "s3")
    await _server(database, pods["RegionTwo"], "moved", "bottom-of-moved")
    await _server(database, pods["RegionThree"], "other", "other-bottom", project="p2")
    source = RoutedServerSource(database)

    listed = {p.region: p.renamed for p in await source.pods("p1")}

    assert listed == {"RegionOne": False, "RegionTwo": True}
    assert await source.top_ids([("RegionOne", "s1"), ("RegionTwo", "bottom-of-moved")]) \
        == {("RegionTwo", "bottom-of-moved"): "moved"}


async def test_a_project_without_servers_is_answered_by_one_pod_in_service(
        database: Database) -> None:
    await _pods(database)
    [pod] = await RoutedServerSource(database).pods("nobody")
    assert pod.usable and not pod.renamed


async def test_every_project_means_every_pod_not_disabled(database: Database) -> None:
    pods = await _pods(database)
    async with database.session() as s:
        await registry.update_pod(s, "RegionThree", state="disabled")
    await _server(database, pods["RegionOne"], "s1", "s1")
    listed = await RoutedServerSource(database).pods(None)
    assert sorted(p.region for p in listed) == ["RegionOne", "RegionTwo"]
