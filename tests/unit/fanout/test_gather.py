import asyncio

import pytest

from tricircle.fanout.gather import PodDeadlineExceeded, gather


async def test_results_come_in_pod_order_not_completion_order():
    async def call(pod: str) -> str:
        await asyncio.sleep({"a": 0.03, "b": 0.0, "c": 0.01}[pod])
        return pod.upper()

    results = await gather(["a", "b", "c"], call, deadline=1)

    assert [(r.pod, r.index, r.value) for r in results] == [("a", 0, "A"), ("b", 1, "B"),
                                                            ("c", 2, "C")]


async def test_a_late_pod_costs_only_its_deadline_and_is_reported():
    async def call(pod: str) -> str:
        await asyncio.sleep(10 if pod == "slow" else 0)
        return pod

    loop = asyncio.get_running_loop()
    started = loop.time()
    results = await gather(["fast", "slow"], call, deadline=0.1)

    assert loop.time() - started < 0.5
    assert results[0].ok and results[0].value == "fast"
    assert not results[1].ok and isinstance(results[1].error, PodDeadlineExceeded)


async def test_a_failing_pod_does_not_fail_the_others():
    async def call(pod: str) -> str:
        if pod == "bad":
            raise ConnectionError("refused")
        return pod

    results = await gather(["bad", "good"], call, deadline=1)

    assert isinstance(results[0].error, ConnectionError)
    assert results[1].value == "good"


async def test_concurrency_is_bounded():
    running = 0
    peak = 0

    async def call(pod: str) -> str:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        return pod

    results = await gather([str(i) for i in range(20)], call, deadline=1, concurrency=3)

    assert peak == 3
    assert all(r.ok for r in results)


@pytest.mark.parametrize("pods", [[], ["only"]])
async def test_empty_and_single_pod(pods):
    async def call(pod: str) -> str:
        return pod

    assert [r.value for r in await gather(pods, call, deadline=1)] == pods


async def test_self_timed_calls_get_no_second_timer_and_their_timeouts_are_deadlines():
    class PodError(Exception):
        pass

    async def call(pod: str) -> str:
        if pod == "slow":
            try:  # the call's own timer, as a pod request with timeout=deadline has
                async with asyncio.timeout(0.05):
                    await asyncio.sleep(10)
            except TimeoutError as exc:
                raise PodError(pod) from exc
        if pod == "bad":
            raise PodError(pod)
        return pod

    loop = asyncio.get_running_loop()
    started = loop.time()
    results = await gather(["fast", "slow", "bad"], call, deadline=0.05, self_timed=True)

    assert loop.time() - started < 0.5
    assert results[0].value == "fast"
    assert isinstance(results[1].error, PodDeadlineExceeded)
    assert type(results[2].error) is PodError


async def test_self_timed_calls_are_not_cut_by_gather():
    async def call(pod: str) -> str:
        await asyncio.sleep(0.1)
        return pod

    results = await gather(["a"], call, deadline=0.01, self_timed=True)

    assert results[0].value == "a"
