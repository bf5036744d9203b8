"""A pod that joins or is enabled again gets every top flavor copied into it."""

from __future__ import annotations

import pytest

from tricircle.db.engine import Database
from tricircle.db.models import Base
from tricircle.jobs import api as jobs
from tricircle.pods import lifecycle


@pytest.fixture
async def db(tmp_path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'gw.db'}")
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield database
    await database.close()


async def _flavor_syncs(db: Database) -> list[str]:
    async with db.session() as s:
        return [j.resource_key for j in await jobs.list_jobs(s)
                if j.type == "flavor_pod_sync"]


async def test_adding_a_pod_enqueues_its_flavor_sync(db):
    async with db.session() as s:
        await lifecycle.add_pod(s, region_name="RegionThree", az_name="az3")
    assert await _flavor_syncs(db) == ["RegionThree"]


async def test_a_disabled_pod_gets_no_sync_until_it_is_enabled(db):
    async with db.session() as s:
        await lifecycle.add_pod(s, region_name="RegionThree", az_name="az3", state="disabled")
    assert await _flavor_syncs(db) == []
    async with db.session() as s:
        await lifecycle.change_pod(s, "RegionThree", state="draining")
    assert await _flavor_syncs(db) == ["RegionThree"]


async def test_other_changes_enqueue_nothing(db):
    async with db.session() as s:
        await lifecycle.add_pod(s, region_name="RegionThree", az_name="az3")
        await lifecycle.change_pod(s, "RegionThree", dc_name="dc-1")
    assert await _flavor_syncs(db) == ["RegionThree"]  # coalesced into the one live job


async def test_a_pod_that_joins_also_gets_the_volume_types(db):
    async with db.session() as s:
        await lifecycle.add_pod(s, region_name="RegionThree", az_name="az3")
    async with db.session() as s:
        types = [j.resource_key for j in await jobs.list_jobs(s)
                 if j.type == "volume_type_pod_sync"]
    assert types == ["RegionThree"]
