"""How conformance/run turns tempest output into the report's columns (no lab needed)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "conformance"))

from suite import report, tempest  # noqa: E402

SERVERS = "tempest.api.compute.servers.test_servers.ServersTestJSON"
FLAVORS = "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON"


def test_tests_of_a_class_whose_setup_failed_count_as_failed() -> None:
    selected = [f"{SERVERS}.test_a[id-1]", f"{FLAVORS}.test_b[id-2,smoke]"]
    raw = {f"setUpClass ({SERVERS})": "failure", f"{FLAVORS}.test_b[id-2,smoke]": "success"}
    assert tempest.classify(selected, raw, timed_out=False) == {
        f"{SERVERS}.test_a[id-1]": "fail:setup", f"{FLAVORS}.test_b[id-2,smoke]": "pass"}


def test_tests_that_never_reported_are_failures_named_by_cause() -> None:
    selected = [f"{FLAVORS}.test_b[id-2]"]
    assert tempest.classify(selected, {}, timed_out=True) == {selected[0]: "fail:timeout"}
    assert tempest.classify(selected, {}, timed_out=False) == {selected[0]: "fail:not-run"}


def test_skips_are_skips_and_expected_failures_pass() -> None:
    selected = [f"{FLAVORS}.test_b[id-2]", f"{FLAVORS}.test_c[id-3]"]
    raw = {selected[0]: "skip", selected[1]: "xfail"}
    assert tempest.classify(selected, raw, timed_out=False) == {
        selected[0]: "skip", selected[1]: "pass"}


def test_only_failures_that_pass_directly_are_gateway_gaps() -> None:
    gw = {"tests": {"t.A.a[x]": "fail", "t.A.b[y]": "fail:setup", "t.A.c[z]": "pass"}}
    base = {"tests": {"t.A.a[x]": "pass", "t.A.b[y]": "fail", "t.A.c[z]": "pass"}}
    assert report.gateway_only_failures(gw, base) == [("t.A.a[x]", "fail")]


def test_every_known_gap_is_a_valid_regex_with_a_reason() -> None:
    for line in (report.KNOWN_GAPS.read_text() + report.KNOWN_BASELINE.read_text()).splitlines():
        if line.strip() and not line.startswith("#"):
            regex, reason = line.split("\t")[:2]
            re.compile(regex)
            assert reason.strip(), line


def test_an_unknown_failure_is_reported_as_unexplained() -> None:
    assert report.explain("tempest.nothing.Like.this", report.load_gaps())[0] == "unexplained"


def test_every_subset_names_an_include_list_that_exists() -> None:
    for sub in tempest.load_subsets().values():
        assert sub.include_path.exists(), sub
        assert sub.baseline in ("regionone", "central-neutron"), sub


def test_tests_of_a_class_that_skipped_itself_are_skipped() -> None:
    selected = [f"{SERVERS}.test_a[id-1]"]
    raw = {f"setUpClass ({SERVERS})": "skip"}
    assert tempest.classify(selected, raw, timed_out=False) == {selected[0]: "skip"}


def test_the_first_failed_request_is_the_symptom_of_a_failure(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_text(
        f"{{0}} {FLAVORS}.test_b [0.5s] ... ok\n"
        f"{{1}} {SERVERS}.test_a [1.2s] ... FAILED\n"
        "    2026 INFO [rest_client] Request (ServersTestJSON:test_a): 200 GET http://gw/servers\n"
        "    2026 INFO [rest_client] Request (ServersTestJSON:test_a): 404 GET http://gw/x 0.1s\n"
        "    2026 INFO [rest_client] Request (ServersTestJSON:test_a): 500 GET http://gw/y 0.1s\n"
        f"{{0}} setUpClass ({FLAVORS}) [0.1s] ... FAILED\n"
        "    KeyError: 'flavor'\n")
    digests = tempest.failure_digests(log)
    assert tempest.symptom(f"{SERVERS}.test_a[id-1]", digests) == "404 GET http://gw/x"
    assert tempest.symptom(f"{FLAVORS}.test_c[id-9]", digests) == "KeyError: 'flavor'"
