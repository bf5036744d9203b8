"""The routing table on every backend (the fixture `database` is parametrized)."""

from __future__ import annotations

import asyncio

import pytest

from tricircle import faults
from tricircle.db.engine import Database
from tricircle.pods import registry
from tricircle.routing import table


async def _pods(db: Database) -> tuple[str, str]:
    async with db.session() as s:
        one = await registry.create_pod(s, region_name="RegionOne", az_name="az1")
        two = await registry.create_pod(s, region_name="RegionTwo", az_name="az2")
    return one.id, two.id


async def test_reserve_then_bind_fills_the_bottom_id(database: Database) -> None:
    one, _ = await _pods(database)
    async with database.session() as s:
        route = await table.reserve(s, top_id="srv-1", pod_id=one, project_id="p1",
                                    resource_type="server")
        assert route.bottom_id is None and route.region_name == "RegionOne"
        await table.bind(s, route.id, "srv-1")
    async with database.session() as s:
        [found] = await table.lookup(s, "srv-1", "server", project_id="p1")
    assert (found.bottom_id, found.pod_id, found.project_id) == ("srv-1", one, "p1")


async def test_second_reserve_of_same_key_conflicts_and_keeps_transaction_usable(
        database: Database) -> None:
    one, _ = await _pods(database)
    async with database.session() as s:
        await table.reserve(s, top_id="net-1", pod_id=one, project_id="p1",
                            resource_type="network")
    async with database.session() as s:
        with pytest.raises(table.RoutingConflict):
            await table.reserve(s, top_id="net-1", pod_id=one, project_id="p1",
                                resource_type="network")
        # the caller's transaction goes on (no aborted transaction on PostgreSQL)
        other = await table.reserve(s, top_id="net-2", pod_id=one, project_id="p1",
                                    resource_type="network")
    async with database.session() as s:
        assert [r.top_id for r in await table.list_routes(s)] == ["net-1", "net-2"]
        assert other.id > 0


async def test_same_top_id_may_live_in_several_pods(database: Database) -> None:
    one, two = await _pods(database)
    async with database.session() as s:
        for pod in (one, two):
            await table.reserve(s, top_id="net-1", pod_id=pod, project_id="p1",
                                resource_type="network")
        routes = await table.lookup(s, "net-1", "network", project_id="p1")
    assert [r.region_name for r in routes] == ["RegionOne", "RegionTwo"]


async def test_reserve_in_unknown_pod_is_not_found(database: Database) -> None:
    with pytest.raises(faults.NotFound):
        async with database.session() as s:
            await table.reserve(s, top_id="x", pod_id="no-such-pod", project_id="p1",
                                resource_type="server")


async def test_lookup_hides_other_projects_rows_but_admin_sees_them(
        database: Database) -> None:
    one, _ = await _pods(database)
    async with database.session() as s:
        await table.reserve(s, top_id="srv-1", pod_id=one, project_id="p1",
                            resource_type="server")
        assert await table.lookup(s, "srv-1", "server", project_id="p2") == []
        assert len(await table.lookup(s, "srv-1", "server", project_id=None)) == 1
        with pytest.raises(table.RouteNotFound):
            await table.get_route(s, (await table.list_routes(s))[0].id, project_id="p2")


async def test_release_deletes_the_row_and_is_idempotent(database: Database) -> None:
    one, _ = await _pods(database)
    async with database.session() as s:
        route = await table.reserve(s, top_id="v-1", pod_id=one, project_id="p1",
                                    resource_type="volume")
        await table.release(s, route.id)
        await table.release(s, route.id)
        assert await table.lookup(s, "v-1", "volume", project_id=None) == []


async def test_bind_can_set_the_top_id_the_pod_chose(database: Database) -> None:
    one, _ = await _pods(database)
    async with database.session() as s:
        route = await table.reserve(s, top_id="pending-1", pod_id=one, project_id="p1",
                                    resource_type="image")
        await table.bind(s, route.id, "img-9", top_id="img-9")
        found = await table.find_by_bottom(s, "img-9", "image", one)
    assert found is not None and found.top_id == "img-9"


async def test_bind_of_a_released_reservation_is_not_found(database: Database) -> None:
    one, _ = await _pods(database)
    async with database.session() as s:
        route = await table.reserve(s, top_id="s", pod_id=one, project_id="p",
                                    resource_type="server")
        await table.release(s, route.id)
        with pytest.raises(table.RouteNotFound):
            await table.bind(s, route.id, "b")


async def test_stale_reservations_use_database_time(database: Database) -> None:
    one, _ = await _pods(database)
    async with database.session() as s:
        pending = await table.reserve(s, top_id="a", pod_id=one, project_id="p",
                                      resource_type="server")
        bound = await table.reserve(s, top_id="b", pod_id=one, project_id="p",
                                    resource_type="server")
        await table.bind(s, bound.id, "b")
    async with database.session() as s:
        now = await table.db_now(s)
        assert now >= pending.created_at
        assert await table.stale_reservations(s, older_than=3600) == []
        stale = await table.stale_reservations(s, older_than=-60)
    assert [r.id for r in stale] == [pending.id]


async def test_list_routes_filters_and_pages_with_marker(database: Database) -> None:
    one, two = await _pods(database)
    async with database.session() as s:
        for i in range(5):
            await table.reserve(s, top_id=f"t{i}", pod_id=one if i % 2 else two,
                                project_id="p1" if i < 4 else "p2", resource_type="server")
    async with database.session() as s:
        first = await table.list_routes(s, project_id="p1", limit=2)
        rest = await table.list_routes(s, project_id="p1", marker=first[-1].id, limit=10)
        in_one = await table.list_routes(s, pod_id=one)
    assert [r.top_id for r in first + rest] == ["t0", "t1", "t2", "t3"]
    assert [r.top_id for r in in_one] == ["t1", "t3"]


async def test_pods_of_project_lists_pods_holding_its_resources(database: Database) -> None:
    one, two = await _pods(database)
    async with database.session() as s:
        await table.reserve(s, top_id="a", pod_id=two, project_id="p1", resource_type="server")
        await table.reserve(s, top_id="b", pod_id=one, project_id="p2", resource_type="server")
        assert await table.pods_of_project(s, "p1", "server") == [two]
        assert await table.pods_of_project(s, None, "server") == [one, two]
        assert await table.pods_of_project(s, "p1", "volume") == []


async def test_update_route_to_a_taken_key_conflicts(database: Database) -> None:
    one, two = await _pods(database)
    async with database.session() as s:
        await table.reserve(s, top_id="a", pod_id=one, project_id="p", resource_type="server")
        moved = await table.reserve(s, top_id="a", pod_id=two, project_id="p",
                                    resource_type="server")
        with pytest.raises(table.RoutingConflict):
            await table.update_route(s, moved.id, pod_id=one)
        updated = await table.update_route(s, moved.id, bottom_id="b-2")
    assert updated.bottom_id == "b-2"


async def test_concurrent_reservations_of_one_key_have_one_winner(database: Database) -> None:
    one, _ = await _pods(database)

    async def attempt() -> str:
        try:
            async with database.session() as s:
                await table.reserve(s, top_id="srv", pod_id=one, project_id="p",
                                    resource_type="server")
                await asyncio.sleep(0.05)  # keep the transaction open while others try
            return "won"
        except table.RoutingConflict:
            return "conflict"

    results = await asyncio.gather(*(attempt() for _ in range(4)))
    assert sorted(results) == ["conflict", "conflict", "conflict", "won"]


async def test_a_stale_release_does_not_delete_a_newer_row_reusing_the_id(
        database: Database) -> None:
    one, _ = await _pods(database)
    async with database.session() as s:
        old = await table.reserve(s, top_id="srv-old", pod_id=one, project_id="p1",
                                  resource_type="server")
        await table.release(s, old.id)
        new = await table.reserve(s, top_id="srv-new", pod_id=one, project_id="p1",
                                  resource_type="server")
    async with database.session() as s:
        # a job that remembered the old row (its id may now be the new row's)
        await table.release(s, old.id, top_id="srv-old")
        await table.release(s, new.id, top_id="srv-old")
    async with database.session() as s:
        assert [r.top_id for r in await table.lookup(s, "srv-new", "server",
                                                       project_id="p1")] == ["srv-new"]
        await table.release(s, new.id, top_id="srv-new")
    async with database.session() as s:
        assert await table.lookup(s, "srv-new", "server", project_id="p1") == []
