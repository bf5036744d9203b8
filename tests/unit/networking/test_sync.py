"""Which answers of the network surface make pod copies need an update."""

from __future__ import annotations

import json

from tricircle.networking.sync import changed


def test_updates_of_copied_types_are_changes() -> None:
    assert changed("PUT", "/v2.0/networks/n1", 200, b"", "p") == [("network", "n1")]
    assert changed("PUT", "/v2.0/security-groups/g1", 200, b"", "p") == \
        [("security_group", "g1")]


def test_refused_or_read_calls_change_nothing() -> None:
    assert changed("PUT", "/v2.0/networks/n1", 409, b"", "p") == []
    assert changed("GET", "/v2.0/networks/n1", 200, b"", "p") == []
    assert changed("PUT", "/v2.0/routers/r1", 200, b"", "p") == []


def test_new_rules_change_their_groups_single_and_bulk() -> None:
    one = json.dumps({"security_group_rule": {"security_group_id": "g1"}}).encode()
    bulk = json.dumps({"security_group_rules": [{"security_group_id": "g2"},
                                                {"security_group_id": "g1"}]}).encode()
    assert changed("POST", "/v2.0/security-group-rules", 201, one, "p") == \
        [("security_group", "g1")]
    assert changed("POST", "/v2.0/security-group-rules", 201, bulk, "p") == \
        [("security_group", "g1"), ("security_group", "g2")]
