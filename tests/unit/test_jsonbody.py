"""Hot-path JSON accepts and produces what the standard library does."""

import json

import pytest

from tricircle import jsonbody


def test_loads_parses_like_the_standard_library_including_nan_that_orjson_refuses():
    assert jsonbody.loads(b'{"servers": [{"id": "a"}]}') == {"servers": [{"id": "a"}]}
    assert jsonbody.loads(b'{"n": 9223372036854775807}') == {"n": 2 ** 63 - 1}
    assert jsonbody.loads(b'{"x": NaN}')["x"] != jsonbody.loads(b'{"x": NaN}')["x"]


def test_loads_rejects_invalid_json_with_a_value_error():
    with pytest.raises(ValueError):
        jsonbody.loads(b'{"servers": [')


def test_dumps_round_trips_and_falls_back_for_non_string_keys():
    body = {"servers": [{"id": "a", "name": "ü"}], "n": None}
    assert json.loads(jsonbody.dumps(body)) == body
    assert json.loads(jsonbody.dumps({1: "x"})) == {"1": "x"}
