"""With many pods, each pod is first asked for a small share of the page; pods
that may run dry are asked for more before the page is settled."""

import random
from dataclasses import dataclass, field

from tricircle.fanout import merge, rounds


@dataclass
class Page:
    items: list = field(default_factory=list)
    more: bool = False
    last: str | None = None
    region: str = "r"


def expected(cloud):
    """Newest first; equal times: pods in region order, then each pod's own order."""
    everything = [(i, s) for i, fake in enumerate(cloud.pods.values()) for s in fake.servers]
    ordered = sorted(everything, key=lambda p: (p[1]["created"], -p[0], p[1]["_seq"]),
                     reverse=True)
    return [s["name"] for _i, s in ordered]


def limits_asked(fake):
    return [int(q["limit"][0]) for _m, _p, q in fake.calls]


def test_first_round_size_is_a_share_of_the_page():
    assert merge.first_round_size(1000, 2) == 1000
    assert merge.first_round_size(1000, 5) == 402
    assert merge.first_round_size(100, 1000) == 4
    assert merge.first_round_size(3, 5) == 3


def test_a_page_is_asked_for_what_can_still_be_in_the_merged_page():
    key = merge.key_function([("n", "asc")], lambda item, k: item[k])
    pages = [Page([{"n": 1}, {"n": 2}], True), Page([{"n": 3}, {"n": 9}], True),
             Page([{"n": 4}], True), Page([], True), Page([{"n": 0}], False)]
    # ranks: 0, 1, 2 | 3 | 4 | 9 ...; the empty page flagged `more` is asked for a page
    assert rounds.extension_sizes(pages, key, 4) == {0: 1, 3: 4}
    # the second page's last item ranks 6th: nothing unseen of it fits a page of 6
    assert rounds.extension_sizes(pages, key, 6) == {0: 3, 2: 1, 3: 6}
    assert rounds.extension_sizes(pages, key, 0) == {}


def test_only_pages_whose_last_item_is_inside_the_page_need_more():
    key = merge.key_function([("n", "asc")], lambda item, k: item[k])
    items = [[{"n": 1}, {"n": 2}], [{"n": 3}, {"n": 9}], [{"n": 4}]]

    def asked(more, limit):
        return sorted(rounds.extension_sizes([Page(i, m) for i, m in zip(items, more, strict=True)],
                                             key, limit))

    assert asked([True, True, True], 3) == [0]
    assert asked([True, True, True], 4) == [0]     # the third page's last item ends the page
    assert asked([True, True, True], 5) == [0, 2]
    assert asked([False, True, False], 10) == [1]
    assert asked([True, True, True], 0) == []


async def test_spread_servers_come_from_one_small_round(five):
    for i in range(40):
        five.add(f"Region{i % 5}", f"s{i:02d}", second=i)

    names = await five.names([("limit", "10")])

    assert names == expected(five)[:10]
    assert all(limits_asked(fake) == [6] for fake in five.pods.values())


async def test_a_pod_holding_all_the_newest_servers_is_asked_again(five):
    for i in range(30):
        five.add("Region3", f"new{i:02d}", second=1000 + i)
    for i in range(20):
        five.add(f"Region{i % 5}", f"old{i:02d}", second=i)

    names = await five.names([("limit", "10")])

    assert names == expected(five)[:10]
    # its first 6 are the 6 newest: at most 4 more can be in the page of 10
    assert limits_asked(five.pods["Region3"]) == [6, 4]
    assert five.pods["Region3"].calls[1][2]["marker"] == [
        next(s["id"] for s in five.pods["Region3"].servers if s["name"] == "new24")]
    assert all(limits_asked(five.pods[f"Region{i}"]) == [6] for i in (0, 1, 2, 4))


async def test_paging_many_pods_by_any_page_size_visits_everything_once(five):
    rng = random.Random(7)
    for i in range(37):
        five.add(f"Region{rng.randrange(5)}", f"s{i:02d}", second=rng.randrange(20))

    for limit in ("1", "2", "3", "7", "40"):
        assert await five.walk([("limit", limit)]) == expected(five)


async def test_servers_created_while_paging_many_pods_cause_no_duplicates(five):
    for i in range(20):
        five.add(f"Region{i % 5}", f"s{i:02d}", second=i)
    made = iter(range(100))

    def create():
        n = next(made)
        five.add(f"Region{n % 5}", f"new{n:02d}", second=500 + n)

    walked = await five.walk([("limit", "3")], between=create)

    assert [n for n in walked if n.startswith("s")] == [f"s{i:02d}" for i in range(19, -1, -1)]
    assert len(walked) == len(set(walked))


async def test_a_pod_failing_its_second_round_keeps_its_first_servers_and_is_named(five):
    for i in range(30):
        five.add("Region3", f"new{i:02d}", second=1000 + i)
    for i in range(10):
        five.add(f"Region{i % 5}", f"old{i:02d}", second=i)
    five.pods["Region3"].fail_after = 1

    result = await five.lister.list_page(five.request([("limit", "10")]))

    names = [s["name"] for s in result.body["servers"]]
    assert names[:6] == ["new29", "new28", "new27", "new26", "new25", "new24"]
    assert len(names) == len(set(names))
    assert result.missing == ["Region3"]
