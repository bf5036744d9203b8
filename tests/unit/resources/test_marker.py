import json

import pytest

from tricircle.resources import SERVER

MARKER = SERVER.marker
assert MARKER is not None
TOP = "4c1e0b3a-7f2f-4f4e-9a53-0e9b2a2f6a11"


@pytest.mark.parametrize("metadata", [
    {},
    {"a": "1"},
    {"a": "1", "b": "2"},
])
@pytest.mark.parametrize("position", ["first", "last"])
def test_strip_removes_the_marker_and_keeps_the_json_valid(metadata, position):
    items = list(metadata.items())
    marker = (MARKER.key, TOP)
    items = [marker, *items] if position == "first" else [*items, marker]
    body = json.dumps({"server": {"id": "x", "metadata": dict(items), "name": "n"}}).encode()
    out = json.loads(MARKER.strip(body))
    assert out == {"server": {"id": "x", "metadata": metadata, "name": "n"}}


def test_strip_handles_the_marker_in_the_middle_and_in_many_servers():
    servers = [{"id": str(i), "metadata": {"a": "1", MARKER.key: TOP, "b": "2"}}
               for i in range(3)]
    body = json.dumps({"servers": servers}, separators=(",", ":")).encode()
    out = json.loads(MARKER.strip(body))
    assert all(s["metadata"] == {"a": "1", "b": "2"} for s in out["servers"])


def test_strip_is_a_no_op_without_the_marker():
    body = b'{"server": {"metadata": {"a": "1"}}}'
    assert MARKER.strip(body) is body


def test_add_and_find_marker_in_a_create_body():
    body = {"server": {"name": "x", "metadata": {"a": "1"}}}
    MARKER.add(body, TOP)
    assert body["server"]["metadata"] == {"a": "1", MARKER.key: TOP}
    assert MARKER.find(body["server"]) == TOP
    bare = {"server": {"name": "x"}}
    MARKER.add(bare, TOP)
    assert MARKER.find(bare["server"]) == TOP
