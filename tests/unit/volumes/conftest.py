"""A routing table in memory behind the Locator interface the pins use."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tricircle.context import RequestContext
from tricircle.pods.registry import PodInfo
from tricircle.proxy.locate import Located, NotFoundInGateway
from tricircle.resources import Resource
from tricircle.routing.table import Route

POD1 = PodInfo("p1", "RegionOne", "az1", "az1", "", "enabled", "healthy")
POD2 = PodInfo("p2", "RegionTwo", "az2", "az2", "", "enabled", "healthy")
CTX = RequestContext(user_id="u", project_id="demo", roles=("member",))


class FakeLocator:
    """Rows by (routing type, top id); another project's rows are not found (but
    by an admin)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[PodInfo, str]] = {}

    def add(self, resource: Resource, top_id: str, pod: PodInfo, project: str = "demo") -> None:
        self.rows[(resource.routing_type, top_id)] = (pod, project)

    async def find(self, resource: Resource, top_id: str, ctx: RequestContext) -> Located:
        found = self.rows.get((resource.routing_type, top_id))
        if found is None or (found[1] != ctx.project_id and not ctx.is_admin):
            raise NotFoundInGateway(resource.not_found, id=top_id)
        pod, project = found
        route = Route(1, top_id, top_id, pod.id, pod.region_name, project,
                      resource.routing_type, datetime.now(UTC))
        return Located(route, pod)


@pytest.fixture
def locator() -> FakeLocator:
    return FakeLocator()
