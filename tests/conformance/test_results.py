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


def test_a_client_ratio_counts_only_tests_both_time_boxed_runs_reached() -> None:
    gw = {"tests": {"a.A.t1": "pass", "a.A.t2": "fail"}, "collected": 4}
    base = {"tests": {"a.A.t1": "pass", "a.A.t2": "pass", "a.A.t3": "pass"}, "collected": 4}
    assert report._client_ratio(gw, base) == "50.0 % of 2"
    assert report._client_cell({**gw, "time_box": 600}) == "1 / 1 / 0 (2 of 4 run in the " \
        "10-min time box)"


def test_tasks_sharing_a_resource_never_run_at_once() -> None:
    import threading
    import time

    from suite import cli

    running: set[str] = set()
    seen_together: list[set[str]] = []
    done: list[str] = []
    lock = threading.Lock()

    def job(name: str) -> None:
        with lock:
            running.add(name)
            seen_together.append(set(running))
        time.sleep(0.05)
        with lock:
            running.discard(name)
            done.append(name)

    tasks = [cli.Task(n, frozenset(needs), lambda n=n: job(n)) for n, needs in (
        ("base-1", {"tempest-base"}), ("gw-1", {"tempest-gw"}), ("base-2", {"tempest-base"}),
        ("gw-2", {"tempest-gw"}))]
    original, cli.write_report = cli.write_report, lambda: None
    try:
        cli.run_tasks(tasks, jobs=2)
    finally:
        cli.write_report = original
    assert sorted(done) == ["base-1", "base-2", "gw-1", "gw-2"]
    assert not any({"base-1", "base-2"} <= s or {"gw-1", "gw-2"} <= s for s in seen_together)


SLOW_SUITE = (
    "import os, pathlib, time, unittest\n"
    "def until_deadline():\n"
    "    time.sleep(max(0.0, float(os.environ['CONFORMANCE_DEADLINE']) - time.time() + 0.2))\n"
    "class TestA(unittest.TestCase):\n"
    "    @classmethod\n"
    "    def tearDownClass(cls):\n"
    "        pathlib.Path('teardown-a').write_text('done')\n"
    "    def test_one(self):\n        until_deadline()\n"
    "    def test_two(self):\n        pass\n"
    "class TestB(unittest.TestCase):\n"
    "    def test_one(self):\n        until_deadline()\n"
    "    def test_two(self):\n        pass\n")


def _time_boxed_run(python: str, tmp_path: Path, box: float, *args: str):
    import os
    import subprocess
    import time

    (tmp_path / "test_slow.py").write_text(SLOW_SUITE)
    env = {**os.environ, "CONFORMANCE_DEADLINE": str(time.time() + box),
           "PYTHONPATH": str(ROOT / "conformance" / "suite")}
    return subprocess.run([python, "-m", "pytest", "-v", "-p", "no:cacheprovider",
                           "-p", "timebox", *args, str(tmp_path / "test_slow.py")],
                          env=env, capture_output=True, text=True, cwd=tmp_path)


def test_the_time_box_lets_the_running_test_finish_and_stops_there(tmp_path: Path) -> None:
    out = _time_boxed_run(sys.executable, tmp_path, 3)
    assert "TestA::test_one PASSED" in out.stdout
    assert "test_two" not in out.stdout and "TestB" not in out.stdout
    assert (tmp_path / "teardown-a").read_text() == "done"  # the class's tearDownClass ran
    assert "conformance time box reached: 3 tests not run" in out.stdout


def test_the_time_box_holds_for_every_xdist_worker(tmp_path: Path) -> None:
    import pytest
    from suite import clients, venv

    python = venv.venv_path() / "bin" / "python"
    if not (venv.venv_path() / ".installed").exists():
        pytest.skip("the conformance venv is not installed (conformance/run installs it)")
    junit = tmp_path / "junit.xml"
    out = _time_boxed_run(str(python), tmp_path, 10, f"--junitxml={junit}",
                          "-o", "junit_family=xunit1", "-n", "2", "--dist", "loadscope")
    # each worker finishes the test it is running when the box ends and starts no other
    assert clients.parse_junit(junit) == {
        "test_slow.TestA.test_one": "pass", "test_slow.TestB.test_one": "pass"}
    log = tmp_path / "run.log"
    log.write_text(out.stdout)
    assert clients.parse_verbose(log) == {
        "test_slow.TestA.test_one": "pass", "test_slow.TestB.test_one": "pass"}
    assert clients.collected_count(out.stdout) == 4
    assert (tmp_path / "teardown-a").read_text() == "done"
    assert "conformance time box reached" in out.stdout


def test_ids_from_verbose_lines_match_the_junit_ids(tmp_path: Path) -> None:
    from suite import clients

    log = tmp_path / "run.log"
    log.write_text("../../x/site-packages/openstack/tests/functional/compute/v2/"
                   "test_server.py::TestServer::test_list PASSED [ 5%]\n")
    assert clients.parse_verbose(log, "openstack/tests/functional/compute") == {
        "v2.test_server.TestServer.test_list": "pass"}


def test_xdist_verbose_lines_give_the_same_ids_as_sequential_ones(tmp_path: Path) -> None:
    from suite import clients

    site = "../../x/site-packages/openstackclient/tests/functional/image/v2"
    sequential, parallel = tmp_path / "seq.log", tmp_path / "xdist.log"
    sequential.write_text(
        "collecting ... collected 3 items\n\n"
        f"{site}/test_image.py::ImageTests::test_image_list PASSED                [ 33%]\n"
        f"{site}/test_image.py::ImageTests::test_image_members FAILED             [ 66%]\n"
        f"{site}/test_info.py::InfoTests::test_import_info SKIPPED (no import)    [100%]\n")
    parallel.write_text(
        "created: 2/2 workers\n2 workers [3 items]\n\n"
        "scheduling tests via LoadScopeScheduling\n\n"
        f"{site}/test_image.py::ImageTests::test_image_list \n"
        f"{site}/test_info.py::InfoTests::test_import_info \n"
        f"[gw1] [ 33%] SKIPPED {site}/test_info.py::InfoTests::test_import_info \n"
        f"[gw0] [ 66%] PASSED {site}/test_image.py::ImageTests::test_image_list \n"
        f"{site}/test_image.py::ImageTests::test_image_members \n"
        f"[gw0] [100%] FAILED {site}/test_image.py::ImageTests::test_image_members \n")
    package = "openstackclient/tests/functional/image/v2"
    expected = {"test_image.ImageTests.test_image_list": "pass",
                "test_image.ImageTests.test_image_members": "fail",
                "test_info.InfoTests.test_import_info": "skip"}
    assert clients.parse_verbose(sequential, package) == expected
    assert clients.parse_verbose(parallel, package) == expected
    assert clients.collected_count(sequential.read_text()) == 3
    assert clients.collected_count(parallel.read_text()) == 3


def test_client_runs_use_xdist_by_class_only_with_several_workers() -> None:
    from suite import clients

    one = clients.pytest_argv(Path("py"), Path("j.xml"), Path("suite"), workers=1)
    two = clients.pytest_argv(Path("py"), Path("j.xml"), Path("suite"), workers=2)
    assert "-n" not in one and one[-1] == "suite"
    assert two[two.index("-n"):two.index("-n") + 4] == ["-n", "2", "--dist", "loadscope"]
    assert two[-1] == "suite" and "timebox" in two and "classgroups" in two


def test_only_classes_that_hold_class_resources_stay_on_one_worker(tmp_path: Path) -> None:
    from suite import classgroups

    package = tmp_path / "pkg_cg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "base.py").write_text(
        "import unittest\n"
        "class Base(unittest.TestCase):\n"
        "    @classmethod\n"
        "    def setUpClass(cls):\n        cls.flag = True\n")
    (package / "test_x.py").write_text(
        "from pkg_cg.base import Base\n"
        "class Owner(Base):\n"
        "    @classmethod\n"
        "    def tearDownClass(cls):\n        pass\n"
        "    def test_a(self):\n        pass\n"
        "class Child(Owner):\n    def test_b(self):\n        pass\n"
        "class Free(Base):\n    def test_c(self):\n        pass\n"
        "def test_function():\n    pass\n")
    sys.path.insert(0, str(tmp_path))
    try:
        split = classgroups.split_scope
        root = str(tmp_path)
        assert split(root, "pkg_cg/test_x.py::Owner::test_a") == "pkg_cg/test_x.py::Owner"
        assert split(root, "pkg_cg/test_x.py::Child::test_b") == "pkg_cg/test_x.py::Child"
        assert split(root, "pkg_cg/test_x.py::Free::test_c") == "pkg_cg/test_x.py::Free::test_c"
        # not a class, or a module that does not import: kept together, as loadscope does
        assert split(root, "pkg_cg/test_x.py::test_function") == "pkg_cg/test_x.py"
        assert split(root, "pkg_cg/test_gone.py::Gone::test_d") == "pkg_cg/test_gone.py::Gone"
    finally:
        sys.path.remove(str(tmp_path))


def test_the_gate_takes_tests_that_passed_twice_and_keeps_unexplained_failures(
        tmp_path: Path, monkeypatch) -> None:
    import json

    from suite import cli

    gate = tmp_path / "gate-passing.txt"
    gate.write_text("# isolated_networks: true\nt.A.kept_failing\nt.A.old_ok\n")
    monkeypatch.setattr(cli, "GATE_FILE", gate)
    monkeypatch.setattr(cli, "RESULTS", tmp_path)
    monkeypatch.setattr(cli, "GATE_SUBSETS", ("core",))
    (tmp_path / "gateway").mkdir()
    last = {"isolated_networks": True, "symptoms": {}, "tests": {
        "t.A.kept_failing": "fail", "t.A.old_ok": "pass", "t.A.twice": "pass",
        "t.A.once": "pass"}}
    before = {"isolated_networks": True, "tests": {"t.A.twice": "pass", "t.A.once": "fail"}}
    (tmp_path / "gateway" / "core.json").write_text(json.dumps(last))
    (tmp_path / "gateway" / "core.previous.json").write_text(json.dumps(before))
    assert cli.update_gate() == 0
    assert cli.gate_ids() == ["t.A.kept_failing", "t.A.old_ok", "t.A.twice"]


def test_the_report_names_the_last_full_run_and_the_reruns_after_it(tmp_path: Path) -> None:
    import json

    run = {"argv": [], "commit": "abc", "started": "s", "finished": "f", "minutes": 1.0}
    (tmp_path / "runs.json").write_text(json.dumps([
        {**run, "full": True, "commit": "old"}, {**run, "full": True, "commit": "full"},
        {**run, "full": False, "commit": "re", "argv": ["--subsets", "image"]}]))
    text = "\n".join(report.runs_lines(tmp_path))
    assert "`old`" not in text
    assert "- full run: `conformance/run ` at commit `full`" in text
    assert "- rerun: `conformance/run --subsets image` at commit `re`" in text
