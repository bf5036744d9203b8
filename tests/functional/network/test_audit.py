# ruff: noqa: F811  (the env fixture is imported from test_boot)
"""The networking audit against a fake central Neutron and a fake pod."""

from __future__ import annotations

import uuid

from tests.functional.network.conftest import StubServiceAuth
from tests.functional.network.test_boot import Env, env  # noqa: F401  (fixture)
from tricircle.jobs.handlers import JobDeps
from tricircle.networking import audit


async def _audit(env: Env, *, repair: bool = True) -> dict:
    deps = JobDeps(env.db, env.clients, StubServiceAuth(), env.conf)  # type: ignore[arg-type]
    return await audit.run(deps, repair=repair)


def _mine(report: dict) -> set[tuple[str, str, str, bool]]:
    return {(f["kind"], f["problem"], f["action"], f["done"]) for f in report["findings"]}


async def test_copies_in_step_are_no_finding(env: Env) -> None:
    assert (await env.boot([{"uuid": env.net}])).status == 202
    report = await _audit(env)
    assert report["findings"] == [] and report["counts"] == {}


async def test_audit_repairs_and_reports(env: Env) -> None:
    assert (await env.boot([{"uuid": env.net}])).status == 202
    [net] = env.neutron.of("networks")
    net["name"] = "renamed-in-the-pod"                        # drifted
    [sub] = env.neutron.of("subnets")
    del env.neutron.items["subnets"][sub["id"]]                # vanished
    stray = str(uuid.uuid4())                                   # orphan of a deleted top
    env.neutron.items["networks"]["orphan"] = {"id": "orphan", "description": stray,
                                               "tags": [stray], "project_id": "p"}
    [port] = env.neutron.of("ports")
    env.central.items["ports"].clear()                          # top port deleted directly
    port["device_id"] = "vm"                                    # ... still used: reported
    dry = await _audit(env, repair=False)
    assert {(k, p, a) for k, p, a, _ in _mine(dry)} == {
        ("network", "drifted", "sync"), ("subnet", "vanished", "release"),
        ("network", "orphan", "delete"), ("port", "top_deleted", "report")}
    assert not any(done for *_, done in _mine(dry))
    report = await _audit(env)
    assert _mine(report) == {("network", "drifted", "sync", True),
                             ("subnet", "vanished", "release", True),
                             ("network", "orphan", "delete", True),
                             ("port", "top_deleted", "report", False)}
    assert "orphan" not in env.neutron.items["networks"]
    assert await env.rows("subnet") == []
    await env.run_jobs()                                        # the sync it enqueued
    assert env.neutron.of("networks")[0]["name"] == "net1"


async def test_a_marked_copy_without_a_row_is_adopted(env: Env) -> None:
    top = str(uuid.uuid4())
    env.central.items["networks"][top] = {**env.central.items["networks"][env.net], "id": top}
    env.neutron.items["networks"]["b1"] = {"id": "b1", "description": top, "tags": [top],
                                           "project_id": "p", "name": "net1"}
    report = await _audit(env)
    assert _mine(report) == {("network", "orphan", "adopt", True)}
    [row] = await env.rows("network")
    assert (row.top_id, row.bottom_id, row.project_id) == (top, "b1", "p")
