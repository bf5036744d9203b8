from tricircle.proxy.versions import intersect


def test_intersection_is_highest_min_and_lowest_max():
    assert intersect([((2, 1), (2, 104)), ((2, 1), (2, 90)), ((2, 5), (2, 100))]) == (
        (2, 5), (2, 90))


def test_disjoint_or_no_ranges_give_none():
    assert intersect([]) is None
    assert intersect([((2, 1), (2, 10)), ((2, 20), (2, 30))]) is None
