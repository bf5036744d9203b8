"""proxy.create.send_reserved: the create protocol's steps 4-5 for a reserved row."""

from __future__ import annotations

from typing import Any

import pytest
from multidict import CIMultiDict

from tricircle import faults
from tricircle.clients.pod import PodResponse
from tricircle.db.engine import Database
from tricircle.db.models import Base
from tricircle.pods import registry
from tricircle.pods.registry import PodInfo
from tricircle.proxy.create import send_reserved
from tricircle.proxy.forward import Target
from tricircle.routing import table


class Forwarder:
    def __init__(self, answer: PodResponse | None) -> None:
        self.answer = answer

    async def send(self, request: Any, target: Target, *, body: bytes) -> PodResponse:
        if self.answer is None:
            raise faults.PodUnavailable(pod=target.pod.region_name)
        return self.answer


@pytest.fixture
async def db(tmp_path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'gw.db'}")
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield database
    await database.close()


async def _reserved(db: Database) -> tuple[PodInfo, table.Route]:
    async with db.session() as s:
        pod = await registry.create_pod(s, region_name="RegionOne")
        route = await table.reserve(s, top_id="img-1", pod_id=pod.id, project_id="p1",
                                    resource_type="image")
    return pod, route


async def _rows(db: Database) -> list[tuple[str, str | None]]:
    async with db.session() as s:
        return [(r.top_id, r.bottom_id) for r in await table.list_routes(s)]


def _answer(status: int) -> PodResponse:
    return PodResponse(status, CIMultiDict(), b"{}")


async def test_an_accepted_create_binds_the_reservation(db):
    pod, route = await _reserved(db)
    resp = await send_reserved(Forwarder(_answer(201)), db, None, Target(pod, "/v2/images"),  # type: ignore[arg-type]
                               route, body=b"{}", created=lambda _r: "img-1")
    assert resp.status == 201 and await _rows(db) == [("img-1", "img-1")]


async def test_a_refused_create_releases_the_reservation(db):
    pod, route = await _reserved(db)
    resp = await send_reserved(Forwarder(_answer(409)), db, None, Target(pod, "/v2/images"),  # type: ignore[arg-type]
                               route, body=b"{}", created=lambda _r: "img-1")
    assert resp.status == 409 and await _rows(db) == []


@pytest.mark.parametrize("keep", [True, False])
async def test_an_unreachable_pod_keeps_the_reservation_for_the_repair_unless_told(db, keep):
    pod, route = await _reserved(db)
    with pytest.raises(faults.PodUnavailable):
        await send_reserved(Forwarder(None), db, None, Target(pod, "/v2/images"),  # type: ignore[arg-type]
                            route, body=b"{}", created=lambda _r: "img-1",
                            keep_if_unreachable=keep)
    assert await _rows(db) == ([("img-1", None)] if keep else [])
