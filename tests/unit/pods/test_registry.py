"""The pod registry on every backend."""

from __future__ import annotations

import pytest

from tricircle import faults
from tricircle.db.engine import Database
from tricircle.db.models import TenantBinding
from tricircle.pods import registry
from tricircle.routing import table


async def test_pods_are_listed_by_region_and_found_by_id_or_region(database: Database) -> None:
    async with database.session() as s:
        two = await registry.create_pod(s, region_name="RegionTwo", az_name="az2")
        one = await registry.create_pod(s, region_name="RegionOne", az_name="az1",
                                        pod_az_name="nova", dc_name="dc1")
    async with database.session() as s:
        assert [p.region_name for p in await registry.list_pods(s)] == ["RegionOne", "RegionTwo"]
        assert (await registry.get_pod(s, "RegionOne")).id == one.id
        assert (await registry.get_pod(s, two.id)).az_name == "az2"
    assert (one.state, one.health, one.pod_az_name, one.dc_name) == (
        "enabled", "unknown", "nova", "dc1")


async def test_a_region_is_registered_once(database: Database) -> None:
    async with database.session() as s:
        await registry.create_pod(s, region_name="RegionOne")
    with pytest.raises(registry.PodExists):
        async with database.session() as s:
            await registry.create_pod(s, region_name="RegionOne")


async def test_unknown_pod_is_not_found(database: Database) -> None:
    async with database.session() as s:
        with pytest.raises(faults.NotFound):
            await registry.get_pod(s, "RegionNine")


async def test_draining_pod_is_listed_by_state(database: Database) -> None:
    async with database.session() as s:
        await registry.create_pod(s, region_name="RegionOne")
        await registry.create_pod(s, region_name="RegionTwo")
        drained = await registry.update_pod(s, "RegionOne", state="draining")
        enabled = await registry.list_pods(s, state="enabled")
    assert drained.state == "draining"
    assert [p.region_name for p in enabled] == ["RegionTwo"]


@pytest.mark.parametrize("fields", [{"state": "sleeping"}, {"health": "healthy"},
                                    {"region_name": "Other"}])
async def test_invalid_updates_are_refused(database: Database, fields: dict[str, str]) -> None:
    async with database.session() as s:
        await registry.create_pod(s, region_name="RegionOne")
        with pytest.raises(faults.BadRequest):
            await registry.update_pod(s, "RegionOne", **fields)


async def test_a_pod_holding_routings_cannot_be_deleted(database: Database) -> None:
    async with database.session() as s:
        pod = await registry.create_pod(s, region_name="RegionOne")
        await table.reserve(s, top_id="srv", pod_id=pod.id, project_id="p",
                            resource_type="server")
    with pytest.raises(registry.PodInUse):
        async with database.session() as s:
            await registry.delete_pod(s, "RegionOne")


async def test_deleting_a_pod_removes_its_bindings(database: Database) -> None:
    async with database.session() as s:
        pod = await registry.create_pod(s, region_name="RegionOne", az_name="az1")
        s.add(TenantBinding(project_id="p1", az_name="az1", pod_id=pod.id))
    async with database.session() as s:
        assert await registry.binding_for(s, "p1", "az1") == pod.id
        assert await registry.binding_for(s, "p1", "az2") is None
        await registry.delete_pod(s, pod.id)
    async with database.session() as s:
        assert await registry.list_pods(s) == []
        assert await registry.binding_for(s, "p1", "az1") is None
