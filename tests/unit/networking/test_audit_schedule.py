"""The periodic audit's next slot: one job key per slot, never the slot just run."""

from tricircle.networking.audit import periodic_key


def test_next_slot_is_the_one_after_now():
    assert periodic_key(3600, now=7200.0 + 10) == ("periodic:3", 3600 - 10)


def test_a_run_made_early_queues_the_slot_after_its_own():
    # slot 3 redone by hand at t=7210 (its time is 10800): the next run is slot 4
    key, delay = periodic_key(3600, now=7210.0, after="periodic:3")
    assert key == "periodic:4" and delay == 4 * 3600 - 7210


def test_a_late_run_queues_the_next_slot_from_now():
    key, delay = periodic_key(3600, now=5 * 3600 + 1, after="periodic:3")
    assert (key, delay) == ("periodic:6", 3600 - 1)


def test_a_key_that_is_not_periodic_is_ignored():
    assert periodic_key(60, now=30.0, after="on-demand:x")[0] == "periodic:1"
