import pytest

from tricircle.fanout import merge


def key_for(spec):
    return merge.key_function(spec, lambda item, k: item.get(k))


def test_default_order_is_created_at_then_id_descending():
    assert merge.sort_spec([], []) == [("created_at", "desc"), ("id", "desc")]


def test_missing_directions_take_the_first_one_and_defaults_are_appended():
    assert merge.sort_spec(["display_name", "vm_state"], ["asc"]) == [
        ("display_name", "asc"), ("vm_state", "asc"), ("created_at", "asc"), ("id", "asc")]


def test_explicit_default_keys_are_not_repeated():
    assert merge.sort_spec(["id", "created_at"], ["asc", "desc"]) == [
        ("id", "asc"), ("created_at", "desc")]


@pytest.mark.parametrize("keys,dirs", [(["a"], ["up"]), (["a"], ["asc", "desc"])])
def test_invalid_sort_params_are_refused(keys, dirs):
    with pytest.raises(merge.InvalidSortParams):
        merge.sort_spec(keys, dirs)


def test_merge_interleaves_sorted_pages_on_several_keys():
    spec = [("group", "asc"), ("n", "desc")]
    pod_a = [{"group": "a", "n": 3}, {"group": "b", "n": 9}, {"group": "b", "n": 1}]
    pod_b = [{"group": "a", "n": 5}, {"group": "a", "n": 1}, {"group": "b", "n": 4}]

    merged = [(i, x["group"], x["n"]) for i, x in merge.merge([pod_a, pod_b], key_for(spec))]

    assert merged == [(1, "a", 5), (0, "a", 3), (1, "a", 1), (0, "b", 9), (1, "b", 4),
                      (0, "b", 1)]


def test_ties_go_to_the_lower_pod_and_keep_each_pods_own_order():
    spec = [("k", "asc")]
    pod_a = [{"k": 1, "tag": "a1"}, {"k": 1, "tag": "a2"}]
    pod_b = [{"k": 1, "tag": "b1"}]

    merged = [x["tag"] for _, x in merge.merge([pod_a, pod_b], key_for(spec))]

    assert merged == ["a1", "a2", "b1"]


def test_none_sorts_first_ascending_and_last_descending():
    items = [{"k": None}, {"k": "x"}]
    asc = [x["k"] for _, x in merge.merge([[items[0]], [items[1]]], key_for([("k", "asc")]))]
    desc = [x["k"] for _, x in merge.merge([[items[1]], [items[0]]], key_for([("k", "desc")]))]
    assert asc == [None, "x"]
    assert desc == ["x", None]


def test_strings_compare_case_insensitively_like_mysql():
    spec = [("name", "asc")]
    merged = [x["name"] for _, x in merge.merge([[{"name": "apple"}, {"name": "Cherry"}],
                                                 [{"name": "Banana"}]], key_for(spec))]
    assert merged == ["apple", "Banana", "Cherry"]


def test_values_of_different_types_never_raise():
    key = key_for([("k", "asc")])
    assert sorted([{"k": "a"}, {"k": 1}, {"k": None}, {"k": True}], key=key)[0] == {"k": None}


def test_merge_is_lazy():
    def endless():
        n = 0
        while True:
            yield {"n": n}
            n += 1

    merged = merge.merge([endless(), endless()], key_for([("n", "asc")]))
    assert [x["n"] for _, x in (next(merged), next(merged), next(merged))] == [0, 0, 1]


def test_descending_strings_put_a_longer_string_before_its_prefix():
    key = key_for([("k", "desc")])
    values = ["ab", "abc", "B", "a", None, "b"]
    # "B" and "b" are equal (case-insensitive): a stable sort keeps their order
    assert [x["k"] for x in sorted(({"k": v} for v in values), key=key)] == [
        "B", "b", "abc", "ab", "a", None]


def test_descending_numbers_and_mixed_types_mirror_ascending():
    asc, desc = key_for([("k", "asc")]), key_for([("k", "desc")])
    values = [{"k": v} for v in (3, "x", None, 1.5, True)]
    assert sorted(values, key=desc) == list(reversed(sorted(values, key=asc)))


def test_descending_strings_mirror_ascending_for_any_unicode():
    asc, desc = key_for([("k", "asc")]), key_for([("k", "desc")])
    pieces = ["a", "b", "ab", "Z", "\x00", "é", "\U0001f600", "\ud800", "-", "9", " ", "ÿ"]
    values = [{"k": a + b + c} for a in pieces for b in pieces for c in ("", "a", "\x00")]
    distinct = {v["k"].casefold(): v for v in values}.values()   # no ties: order is exact
    assert sorted(distinct, key=desc) == list(reversed(sorted(distinct, key=asc)))
