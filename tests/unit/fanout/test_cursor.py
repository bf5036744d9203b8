from urllib.parse import parse_qsl, urlsplit

import pytest
from multidict import MultiDict, MultiDictProxy

from tricircle.fanout import cursor


def q(*pairs):
    return MultiDictProxy(MultiDict(pairs))


def test_position_round_trips_through_its_token():
    pos = cursor.Position("top-2", {"RegionOne": "b-1", "RegionTwo": "b-2"})
    assert cursor.decode(pos.encode(), "top-2") == pos


def test_a_token_issued_for_another_marker_is_ignored():
    token = cursor.Position("top-2", {"RegionOne": "b-1"}).encode()
    assert cursor.decode(token, "hand-written") is None


@pytest.mark.parametrize("token", ["", "!!!", "e30", "aGVsbG8"])
def test_garbage_tokens_are_ignored(token):
    assert cursor.decode(token, "m") is None


def test_advance_keeps_pods_not_seen_on_this_page():
    pos = cursor.Position("x", {"RegionOne": "a1", "RegionTwo": "b1"})
    new = pos.advance("a3", [("RegionOne", "a2"), ("RegionOne", "a3")])
    assert new == cursor.Position("a3", {"RegionOne": "a3", "RegionTwo": "b1"})


def test_page_limit_caps_at_max_and_defaults_to_it():
    assert cursor.page_limit(q()) == cursor.MAX_LIMIT
    assert cursor.page_limit(q(("limit", "5"))) == 5
    assert cursor.page_limit(q(("limit", "5000"))) == cursor.MAX_LIMIT
    assert cursor.page_limit(q(("limit", "1"), ("limit", "7"))) == 7  # last wins, as webob


@pytest.mark.parametrize("bad", ["abc", "-1", "1.5"])
def test_page_limit_refuses_non_integers(bad):
    with pytest.raises(cursor.InvalidLimit):
        cursor.page_limit(q(("limit", bad)))


def test_next_href_keeps_the_query_and_replaces_the_marker():
    pos = cursor.Position("s9", {"RegionOne": "s9"})
    href = cursor.next_href("http://gw/compute/v2.1/servers",
                            q(("sort_key", "display_name"), ("limit", "1"), ("marker", "s1"),
                              ("sort_key", "id"), (cursor.CURSOR_PARAM, "old")),
                            marker="s9", position=pos)

    parts = urlsplit(href)
    params = parse_qsl(parts.query)
    assert parts.path == "/compute/v2.1/servers"
    assert params[:4] == [("limit", "1"), ("sort_key", "display_name"), ("sort_key", "id"),
                          ("marker", "s9")]
    assert cursor.decode(dict(params)[cursor.CURSOR_PARAM], "s9") == pos


def test_forwarded_params_drop_paging_and_keep_filters():
    assert cursor.forwarded_params(q(("name", "a"), ("limit", "1"), ("marker", "m"),
                                     ("status", "ACTIVE"), ("status", "ERROR"),
                                     (cursor.CURSOR_PARAM, "t"))) == [
        ("name", "a"), ("status", "ACTIVE"), ("status", "ERROR")]


def test_a_token_is_valid_only_for_the_query_it_came_from():
    by_name = cursor.query_scope(q(("sort_key", "display_name"), ("limit", "1")))
    by_name_page2 = cursor.query_scope(q(("limit", "1"), ("sort_key", "display_name"),
                                         ("marker", "m"), (cursor.CURSOR_PARAM, "t")))
    by_date = cursor.query_scope(q(("sort_key", "created_at"), ("limit", "1")))
    token = cursor.Position("m", {"RegionOne": "b"}, by_name).encode()

    assert by_name == by_name_page2 != by_date
    assert cursor.decode(token, "m", by_name) is not None
    assert cursor.decode(token, "m", by_date) is None
