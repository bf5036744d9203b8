"""availability_zone_hints kept as tags on central networks (no cloud)."""

from __future__ import annotations

import json

import pytest

from tricircle.networking import azhints
from tricircle.pods.registry import PodInfo

POD2 = PodInfo(id="p2", region_name="RegionTwo", az_name="az2", pod_az_name="", dc_name="",
               state="enabled", health="healthy")


def test_answers_show_the_tags_as_hints() -> None:
    body = json.dumps({"networks": [
        {"id": "n1", "tags": ["tricircle-az:az1", "mine"], "availability_zone_hints": []},
        {"id": "n2", "tags": [], "availability_zone_hints": []}]}).encode()
    nets = json.loads(azhints.answer_body("/v2.0/networks?limit=2", body))["networks"]
    assert [(n["tags"], n["availability_zone_hints"]) for n in nets] == \
        [(["mine"], ["az1"]), ([], [])]


def test_answers_without_hint_tags_are_passed_as_they_are() -> None:
    body = b'{"network": {"id": "n1", "tags": []}}'
    assert azhints.answer_body("/v2.0/networks/n1", body) is body
    tagged = b'{"port": {"tags": ["tricircle-az:az1"]}}'
    assert azhints.answer_body("/v2.0/ports/p1", tagged) is tagged


def test_a_pod_outside_the_hints_is_refused() -> None:
    azhints.check({"id": "n", "tags": []}, POD2)
    azhints.check({"id": "n", "tags": ["tricircle-az:az2"]}, POD2)
    with pytest.raises(azhints.NetworkNotInZone) as refused:
        azhints.check({"id": "n", "tags": ["tricircle-az:az1"]}, POD2)
    assert refused.value.status == 400
    assert "availability zone az2" in refused.value.text
