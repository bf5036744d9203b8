"""The merged list for Cinder's collections: its sort parameters and views."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict, MultiDict, MultiDictProxy

from tricircle.context import RequestContext
from tricircle.fanout import merge
from tricircle.fanout.servers import ListRequest, _pod_list_path, _sort_params
from tricircle.volumes.collections import SNAPSHOTS, VOLUMES


def _req(*query: tuple[str, str], detail: bool = False, collection=VOLUMES,
         prefix: str = "") -> ListRequest:
    return ListRequest(ctx=RequestContext(project_id="p"),
                       query=MultiDictProxy(MultiDict(list(query))), headers=CIMultiDict(),
                       detail=detail, top_base="http://gw/volume/v3", collection=collection,
                       path_prefix=prefix)


def test_cinders_sort_parameter_gives_keys_and_directions():
    keys, dirs = _sort_params(_req(("sort", "size:asc,name")))
    assert (keys, dirs) == (["size", "name"], ["asc", "desc"])
    spec = merge.sort_spec(keys, dirs)
    assert spec == [("size", "asc"), ("name", "desc"), ("created_at", "asc"), ("id", "asc")]


def test_sort_with_sort_key_is_refused_like_cinder():
    with pytest.raises(merge.InvalidSortParams):
        _sort_params(_req(("sort", "size"), ("sort_key", "name")))


def test_the_legacy_sort_key_still_works():
    assert _sort_params(_req(("sort_key", "size"), ("sort_dir", "asc"))) == (["size"], ["asc"])


def test_volumes_are_read_from_the_detail_view_snapshots_from_their_index():
    assert _pod_list_path(_req()) == "/volumes/detail"
    assert _pod_list_path(_req(collection=SNAPSHOTS)) == "/snapshots"
    assert _pod_list_path(_req(collection=SNAPSHOTS, detail=True)) == "/snapshots/detail"
    assert _pod_list_path(_req(prefix="/abc")) == "/abc/volumes/detail"
