"""The collector is held off while lists build their pages, and comes back."""

import asyncio
import gc

import pytest

from tricircle.fanout import collector


@pytest.fixture(autouse=True)
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


async def test_overlapping_lists_hold_it_off_until_the_last_ends():
    first_in, second_in, first_out = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def first():
        with collector.paused():
            first_in.set()
            await second_in.wait()
        first_out.set()

    async def second():
        await first_in.wait()
        with collector.paused():
            second_in.set()
            await first_out.wait()
            assert not gc.isenabled()   # the first list ended, this one still runs
        assert gc.isenabled()

    await asyncio.gather(first(), second())
    assert gc.isenabled()


def test_it_comes_back_when_a_list_fails():
    with pytest.raises(RuntimeError), collector.paused():
        assert not gc.isenabled()
        raise RuntimeError("pod answer unreadable")
    assert gc.isenabled()


def test_a_collector_turned_off_elsewhere_stays_off():
    gc.disable()
    with collector.paused():
        pass
    assert not gc.isenabled()


def test_lists_overlapping_for_long_still_collect_the_young_generation(monkeypatch):
    collected = []
    monkeypatch.setattr(collector, "MAX_PAUSE", 0.0)
    monkeypatch.setattr(collector.gc, "collect", lambda generation=2: collected.append(generation))
    with collector.paused():
        with collector.paused():
            pass
        assert collected == [0] and not gc.isenabled()
    assert gc.isenabled()
