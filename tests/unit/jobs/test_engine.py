"""The job engine on every backend: coalescing, retries, leases, concurrent workers."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any, cast

import pytest
from sqlalchemy import update

from tricircle import conf as tconf
from tricircle.db.clock import utc_after
from tricircle.db.engine import Database
from tricircle.db.models import Job
from tricircle.jobs import api as jobs
from tricircle.jobs.engine import JobEngine, backoff
from tricircle.jobs.handlers import Handler, JobContext, JobDeps, PermanentFailure


def _engine(db: Database, handlers: dict[str, Handler], *, owner: str = "w1",
            **overrides: Any) -> JobEngine:
    conf = tconf.new_config([], config_files=[])
    for name, value in overrides.items():
        conf.set_override(name, value, "jobs")
    deps = JobDeps(db=db, pods=cast(Any, None), service_auth=cast(Any, None), conf=conf)
    return JobEngine(deps, owner=owner, handlers=handlers)


async def _enqueue(db: Database, job_type: str = "flavor.sync", key: str = "f1",
                   **kw: Any) -> str:
    async with db.session() as s:
        return await jobs.enqueue(s, job_type, key, **kw)


async def _job(db: Database, job_id: str) -> jobs.JobInfo:
    async with db.session() as s:
        return await jobs.get_job(s, job_id)


async def _make_due(db: Database, job_id: str) -> None:
    async with db.session() as s:
        await s.execute(update(Job).where(Job.id == job_id).values(not_before=utc_after(-1)))


async def test_a_second_trigger_coalesces_into_the_pending_job(database: Database) -> None:
    first = await _enqueue(database, payload={"n": 1})
    second = await _enqueue(database, payload={"n": 2})
    other = await _enqueue(database, key="f2")
    assert first == second != other
    assert (await _job(database, first)).payload == {"n": 2}


async def test_enqueue_is_part_of_the_callers_transaction(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.session() as s:
            await jobs.enqueue(s, "flavor.sync", "f1")
            raise RuntimeError("the change that needed the job failed")
    async with database.session() as s:
        assert await jobs.list_jobs(s) == []


async def test_a_successful_job_ends_and_frees_its_resource_key(database: Database) -> None:
    seen: list[dict[str, Any]] = []

    async def handler(ctx: JobContext) -> None:
        seen.append(ctx.payload)

    engine = _engine(database, {"flavor.sync": handler})
    job_id = await _enqueue(database, payload={"flavor": "f1"})
    assert await engine.run_until_idle() == 1
    job = await _job(database, job_id)
    assert (job.status, job.attempts, job.lease_owner, seen) == (
        "succeeded", 1, None, [{"flavor": "f1"}])
    assert await _enqueue(database) != job_id


async def test_a_trigger_during_the_run_makes_the_job_run_again(database: Database) -> None:
    runs = 0

    async def handler(ctx: JobContext) -> None:
        nonlocal runs
        runs += 1
        if runs == 1:  # the flavor changed again while we were propagating it
            assert await _enqueue(database) == ctx.job_id

    engine = _engine(database, {"flavor.sync": handler})
    job_id = await _enqueue(database)
    await engine.run_until_idle()
    assert runs == 2
    assert (await _job(database, job_id)).status == "succeeded"


async def test_a_failure_is_retried_after_a_backoff_in_database_time(
        database: Database) -> None:
    calls = 0

    async def flaky(ctx: JobContext) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("RegionTwo unreachable")

    engine = _engine(database, {"flavor.sync": flaky}, backoff_base=30.0)
    job_id = await _enqueue(database)
    await engine.run_until_idle()
    job = await _job(database, job_id)
    assert (job.status, job.attempts, calls) == ("new", 1, 1)
    assert job.last_error == "ConnectionError: RegionTwo unreachable"
    async with database.session() as s:
        from tricircle.routing.table import db_now
        assert (job.not_before - await db_now(s)).total_seconds() > 20
    await _make_due(database, job_id)
    await engine.run_until_idle()
    job = await _job(database, job_id)
    assert (job.status, job.attempts, job.last_error) == ("succeeded", 2, None)


async def test_a_job_fails_for_good_after_max_attempts(database: Database) -> None:
    async def broken(ctx: JobContext) -> None:
        raise ValueError("bad flavor")

    engine = _engine(database, {"flavor.sync": broken}, max_attempts=2)
    job_id = await _enqueue(database)
    await engine.run_until_idle()
    await _make_due(database, job_id)
    await engine.run_until_idle()
    job = await _job(database, job_id)
    assert (job.status, job.attempts) == ("failed", 2)
    assert await _enqueue(database) != job_id  # no longer live


async def test_a_permanent_failure_is_not_retried(database: Database) -> None:
    async def refuse(ctx: JobContext) -> None:
        raise PermanentFailure("flavor was deleted")

    job_id = await _enqueue(database)
    await _engine(database, {"flavor.sync": refuse}).run_until_idle()
    job = await _job(database, job_id)
    assert (job.status, job.attempts, job.last_error) == (
        "failed", 1, "PermanentFailure: flavor was deleted")


async def test_an_expired_lease_is_claimed_by_another_worker(database: Database) -> None:
    ran_by: list[str] = []

    async def handler(ctx: JobContext) -> None:
        ran_by.append(ctx.lease_owner)

    crashed = _engine(database, {"flavor.sync": handler}, owner="crashed")
    job_id = await _enqueue(database)
    [ctx] = await crashed.claim()
    survivor = _engine(database, {"flavor.sync": handler}, owner="survivor")
    assert await survivor.claim() == []  # lease still valid
    async with database.session() as s:
        await s.execute(update(Job).where(Job.id == job_id)
                        .values(lease_expires_at=utc_after(-1)))
    assert await survivor.run_until_idle() == 1
    assert await crashed.run_job(ctx) == "lost"
    job = await _job(database, job_id)
    assert (job.status, job.attempts, ran_by) == ("succeeded", 2, ["survivor", "crashed"])


async def test_progress_is_visible_while_the_job_runs(database: Database) -> None:
    seen: list[dict[str, Any]] = []

    async def handler(ctx: JobContext) -> None:
        await ctx.set_progress(done=1, total=2)
        seen.append((await _job(database, ctx.job_id)).progress)

    await _enqueue(database)
    await _engine(database, {"flavor.sync": handler}).run_until_idle()
    assert seen == [{"done": 1, "total": 2}]


async def test_redo_resets_a_failed_job_and_delete_removes_it(database: Database) -> None:
    async def broken(ctx: JobContext) -> None:
        raise PermanentFailure("nope")

    job_id = await _enqueue(database, project_id="p1")
    await _engine(database, {"flavor.sync": broken}).run_until_idle()
    async with database.session() as s:
        redone = await jobs.redo_job(s, job_id)
        assert (redone.status, redone.attempts) == ("new", 0)
        assert await jobs.enqueue(s, "flavor.sync", "f1") == job_id  # live again
        await jobs.delete_job(s, job_id)
        with pytest.raises(jobs.JobNotFound):
            await jobs.get_job(s, job_id)


async def test_a_running_job_cannot_be_redone_or_deleted(database: Database) -> None:
    job_id = await _enqueue(database)
    await _engine(database, {}).claim()
    async with database.session() as s:
        with pytest.raises(jobs.JobBusy):
            await jobs.redo_job(s, job_id)
        with pytest.raises(jobs.JobBusy):
            await jobs.delete_job(s, job_id)


async def test_list_filters_by_status_type_and_project(database: Database) -> None:
    await _enqueue(database, key="a", project_id="p1")
    await _enqueue(database, job_type="keypair.sync", key="b", project_id="p2")
    async with database.session() as s:
        assert [j.resource_key for j in await jobs.list_jobs(s, project_id="p2")] == ["b"]
        assert [j.type for j in await jobs.list_jobs(s, job_type="flavor.sync")] == [
            "flavor.sync"]
        assert await jobs.list_jobs(s, status="failed") == []
        page = await jobs.list_jobs(s, limit=1)
        rest = await jobs.list_jobs(s, marker=page[0].id)
        assert len(page) == len(rest) == 1 and page[0].id != rest[0].id
        assert (await jobs.count_by_status(s))["new"] == 2


async def test_a_job_without_handler_is_retried_not_lost(database: Database) -> None:
    job_id = await _enqueue(database, job_type="unknown.type")
    await _engine(database, {}).run_until_idle()
    job = await _job(database, job_id)
    assert job.status == "new" and "no handler" in (job.last_error or "")


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff(n, 2.0, 10.0) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 10.0]


async def test_two_workers_never_run_the_same_job_twice(database: Database) -> None:
    runs: Counter[str] = Counter()

    async def handler(ctx: JobContext) -> None:
        runs[ctx.resource_key] += 1
        await asyncio.sleep(0.01)

    async with database.session() as s:
        for i in range(40):
            await jobs.enqueue(s, "flavor.sync", f"f{i}")
    second_db = Database(database.url, pool_size=5)
    try:
        workers = [_engine(database, {"flavor.sync": handler}, owner="a", batch_size=3),
                   _engine(second_db, {"flavor.sync": handler}, owner="b", batch_size=3)]
        await asyncio.gather(*(w.run_until_idle() for w in workers))
    finally:
        await second_db.close()
    assert runs == Counter({f"f{i}": 1 for i in range(40)})


async def test_the_worker_loop_runs_jobs_as_they_come_and_stops(database: Database) -> None:
    done = asyncio.Event()
    seen: list[str] = []

    async def handler(ctx: JobContext) -> None:
        seen.append(ctx.resource_key)
        if len(seen) == 3:
            done.set()

    engine = _engine(database, {"flavor.sync": handler}, poll_interval=0.05, batch_size=2)
    stop = asyncio.Event()
    loop = asyncio.ensure_future(engine.run_forever(stop))
    for key in ("a", "b", "c"):
        await _enqueue(database, key=key)
        engine.wake()
    await asyncio.wait_for(done.wait(), 10)
    stop.set()
    await asyncio.wait_for(loop, 10)
    assert sorted(seen) == ["a", "b", "c"]


async def test_a_job_cut_short_by_shutdown_is_handed_back(database: Database) -> None:
    started = asyncio.Event()

    async def slow(ctx: JobContext) -> None:
        started.set()
        await asyncio.sleep(60)

    engine = _engine(database, {"flavor.sync": slow})
    job_id = await _enqueue(database)
    [ctx] = await engine.claim()
    run = asyncio.ensure_future(engine.run_job(ctx))
    await started.wait()
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    job = await _job(database, job_id)
    assert (job.status, job.lease_owner) == ("new", None)
    assert len(await _engine(database, {}, owner="other").claim()) == 1


async def test_concurrent_triggers_of_one_resource_make_one_job(database: Database) -> None:
    async def trigger(n: int) -> str:
        async with database.session() as s:
            job_id = await jobs.enqueue(s, "flavor.sync", "f1", payload={"n": n})
            await asyncio.sleep(0.05)
            return job_id

    ids = await asyncio.gather(*(trigger(n) for n in range(4)))
    assert len(set(ids)) == 1
    async with database.session() as s:
        assert len(await jobs.list_jobs(s)) == 1


async def test_no_trigger_is_lost_while_runs_finish(database: Database) -> None:
    committed = 0
    seen_at_start: list[int] = []

    async def handler(ctx: JobContext) -> None:
        seen_at_start.append(committed)
        await asyncio.sleep(0.003)

    engine = _engine(database, {"flavor.sync": handler}, poll_interval=0.05)
    stop = asyncio.Event()
    loop = asyncio.ensure_future(engine.run_forever(stop))
    try:
        for n in range(1, 31):
            await _enqueue(database)
            committed = n
            engine.wake()
            await asyncio.sleep(0.002 * (n % 4))
        for _ in range(500):
            async with database.session() as s:
                live = [j for j in await jobs.list_jobs(s) if j.status in ("new", "running")]
            if not live:
                break
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await loop
    assert max(seen_at_start) == 30  # a run started after the last trigger committed
