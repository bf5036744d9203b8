from tricircle.proxy.versions import intersect


def test_intersection_is_highest_min_and_lowest_max():
    assert intersect([((2, 1), (2, 104)), ((2, 1), (2, 90)), ((2, 5), (2, 100))]) == (
        (2, 5), (2, 90))


def test_disjoint_or_no_ranges_give_none():
    assert intersect([]) is None
    assert intersect([((2, 1), (2, 10)), ((2, 20), (2, 30))]) is None


def test_a_cinder_root_document_gives_its_range():
    from tricircle.proxy.versions import _from_doc

    doc = {"versions": [{"id": "v3.0", "version": "3.71", "min_version": "3.0"}]}
    assert _from_doc(doc) == ((3, 0), (3, 71))
    nova = {"versions": [{"id": "v2.0", "version": "", "min_version": ""},
                         {"id": "v2.1", "version": "2.104", "min_version": "2.1"}]}
    assert _from_doc(nova) == ((2, 1), (2, 104))
    assert _from_doc({"version": {"version": "2.90", "min_version": "2.1"}}) == (
        (2, 1), (2, 90))
