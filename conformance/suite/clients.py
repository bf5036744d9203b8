"""openstacksdk and python-openstackclient functional tests, through the gateway and directly.

Both suites find their clouds by name in ``./clouds.yaml`` (the OSC suite strips every ``OS_*``
variable before it runs ``openstack``, so the file must be in the working directory):
``devstack`` (a member), ``devstack-alt`` (another project), ``devstack-admin`` and
``devstack-system-admin``. One such directory per target, under ``.lab/conformance/clients/``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .lab import GATEWAY_URL, ROOT, http
from .tempest import save

STATE = ROOT / ".lab" / "conformance" / "clients"
# OSC's compute tests look for an image named cirros-*-disk and a flavor m1.tiny
OSC_IMAGE_NAME = "cirros-conformance-disk"
OSC_IMAGE_ID = "0c0f0e1a-c0fe-4c0f-9c0f-c0f0f0f0c0f0"
FLAVOR_NAME = "m1.tiny"  # defined at the top by `python -m tricircle.demo up`, in every pod


@dataclass(frozen=True)
class Suite:
    name: str
    package_path: str  # under site-packages
    surface: str  # gateway surface it needs


SUITES = {s.name: s for s in (
    Suite("sdk-compute", "openstack/tests/functional/compute", "compute"),
    Suite("osc-compute", "openstackclient/tests/functional/compute/v2", "compute"),
    Suite("sdk-network", "openstack/tests/functional/network", "network"),
    Suite("osc-network", "openstackclient/tests/functional/network/v2", "network"),
    Suite("sdk-block-storage", "openstack/tests/functional/block_storage/v3", "volumev3"),
    Suite("osc-volume", "openstackclient/tests/functional/volume/v3", "volumev3"),
    Suite("sdk-image", "openstack/tests/functional/image/v2", "image"),
    Suite("osc-image", "openstackclient/tests/functional/image/v2", "image"),
)}
DEFAULT_SUITES = tuple(SUITES)  # compute, network, block storage, image: both clients
# pytest-xdist workers per run: the OSC tests spend most of their time in `openstack`
# processes (~1 s of CPU each) and in waiting for resources; two runs at once (--jobs 2)
# so use about four workers on the lab's two cores
DEFAULT_WORKERS = 2


def clouds_yaml(lab: dict[str, Any], region: str) -> str:
    """clouds.yaml text with the cloud names the two functional suites expect."""
    names = {"devstack": ("demo", "demo"), "devstack-alt": ("alt_demo", "alt_demo"),
             "devstack-admin": ("admin", "admin"), "devstack-system-admin": ("admin", None)}
    lines = ["# written by conformance/run", "clouds:"]
    for name, (user, project) in names.items():
        lines += [f"  {name}:", "    auth:", f"      auth_url: {lab['auth_url']}",
                  f"      username: {user}", f"      password: {lab.get('password', 'labpass')}",
                  "      user_domain_name: Default"]
        lines += ([f"      project_name: {project}", "      project_domain_name: Default"]
                  if project else ["      system_scope: all"])
        lines += [f"    region_name: {region}", "    identity_api_version: 3"]
    lines += ["functional:", f"  image_name: {lab['image_name']}",
              f"  flavor_name: {FLAVOR_NAME}"]
    return "\n".join(lines) + "\n"


def ensure_osc_image(lab: dict[str, Any], token: str) -> None:
    """A private (admin project) cirros-named image with a fixed id in every pod.

    OSC's compute tests pick an image by name (cirros-*-disk); the lab's image is named
    otherwise. Private to the admin project so no other user's image list changes.
    """
    data_file = Path(lab.get("lab_root", ROOT / ".lab")) / "data" / f"{lab['image_name']}.qcow2"
    for region in lab["regions"].values():
        base = region["image"]
        status, _, img = http("GET", f"{base}/v2/images/{OSC_IMAGE_ID}", token)
        if status == 404:
            http("POST", f"{base}/v2/images", token, {
                "id": OSC_IMAGE_ID, "name": OSC_IMAGE_NAME, "disk_format": "qcow2",
                "container_format": "bare", "visibility": "private"})
            img = {"status": "queued"}
        if isinstance(img, dict) and img.get("status") == "queued" and data_file.exists():
            import urllib.request
            req = urllib.request.Request(f"{base}/v2/images/{OSC_IMAGE_ID}/file",
                                         data=data_file.read_bytes(), method="PUT")
            req.add_header("X-Auth-Token", token)
            req.add_header("Content-Type", "application/octet-stream")
            urllib.request.urlopen(req, timeout=120).read()


OSC_NETWORK_NAME = "private"  # OSC's compute tests boot on `network show private` (devstack's)
OSC_SUBNET_CIDR = "10.254.254.0/24"


def ensure_osc_network(neutron_url: str, token: str) -> None:
    """A network "private" with a subnet, owned by the admin project, in this Neutron.

    OSC's server tests boot with ``--nic net-id=<private>`` and, without it, ask Nova to
    allocate a network automatically, which the lab cannot (no auto-allocated topology):
    every server test would fail on both sides. Baseline: the pod's Neutron; gateway:
    central Neutron (the gateway's /network), so a server boots on a top network.
    """
    base = neutron_url.rstrip("/") + "/v2.0"
    status, _, data = http("GET", f"{base}/networks?name={OSC_NETWORK_NAME}", token)
    nets = (data or {}).get("networks", []) if status == 200 else []
    net = nets[0] if nets else None
    if net is None:
        status, _, data = http("POST", f"{base}/networks", token,
                               {"network": {"name": OSC_NETWORK_NAME}})
        if status != 201:
            print(f"could not create network {OSC_NETWORK_NAME} in {neutron_url}: {status}")
            return
        net = data["network"]
    if not net.get("subnets"):
        http("POST", f"{base}/subnets", token, {"subnet": {
            "name": f"{OSC_NETWORK_NAME}-subnet", "network_id": net["id"], "ip_version": 4,
            "cidr": OSC_SUBNET_CIDR}})


def parse_junit(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    tests: dict[str, str] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        tid = f"{case.get('classname')}.{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            tests[tid] = "fail"
        elif case.find("skipped") is not None:
            tests[tid] = "skip"
        else:
            tests[tid] = "pass"
    return tests


_STATUS = r"(?P<st>PASSED|FAILED|SKIPPED|ERROR|XFAIL|XPASS)"
_NODE = r"(?P<path>\S+)::(?P<cls>\w+)::(?P<name>\S+)"
# pytest -v: "<nodeid> PASSED [ 5%]"; with pytest-xdist: "[gw1] [ 5%] PASSED <nodeid>"
VERBOSE = re.compile(rf"^{_NODE} {_STATUS}")
VERBOSE_XDIST = re.compile(rf"^\[gw\d+\] \[\s*\d+%\] {_STATUS} {_NODE}")
# how many tests a run selected: "collected 13 items", with xdist "2 workers [13 items]"
COLLECTED = re.compile(r"collected (\d+) items?|\d+ workers? \[(\d+) items?\]")


def collected_count(text: str) -> int | None:
    m = COLLECTED.search(text)
    return int(m.group(1) or m.group(2)) if m else None


def parse_verbose(log: Path, package_path: str = "") -> dict[str, str]:
    """Results from pytest -v lines (sequential or pytest-xdist), for a run killed before it
    wrote its junit file; ids as in the junit file (module path under the suite's package,
    dotted). A test reported twice (passed, then an error in its teardown) keeps the last."""
    status = {"PASSED": "pass", "XFAIL": "pass", "SKIPPED": "skip"}
    tests: dict[str, str] = {}
    for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
        m = VERBOSE.match(line) or VERBOSE_XDIST.match(line)
        if m:
            path = m["path"].split(package_path.rstrip("/") + "/", 1)[-1] if package_path \
                else Path(m["path"]).name
            module = path.removesuffix(".py").replace("/", ".")
            tests[f"{module}.{m['cls']}.{m['name']}"] = status.get(m["st"], "fail")
    return tests


def clean_leftovers(lab: dict[str, Any], token: str, suite: Suite, target: str) -> None:
    """Remove what an earlier, interrupted run of ``suite`` may have left under a fixed name.

    OSC's flavor tests create a flavor with the fixed id ``qaz``; a leftover makes them
    fail with 409 on both sides. The gateway defines flavors at the top and in every pod.
    """
    if suite.name != "osc-compute":
        return
    urls = [r["compute"] for r in lab["regions"].values()] if target == "gateway" \
        else [lab["regions"]["RegionOne"]["compute"]]
    if target == "gateway":
        urls.insert(0, GATEWAY_URL + "/compute/v2.1")
    for url in urls:
        status, _, _ = http("GET", f"{url}/flavors/qaz", token)
        if status == 200:
            http("DELETE", f"{url}/flavors/qaz", token)
            print(f"removed the leftover flavor qaz at {url}")


def _junit_ids(junit: Path) -> dict[str, str]:
    try:
        return parse_junit(junit)
    except ET.ParseError:  # a run killed while writing it
        return {}


def pytest_argv(python: Path, junit: Path, tests: Path, workers: int = 1) -> list[str]:
    """pytest for one suite; with ``workers`` > 1 through pytest-xdist: a test class whose
    setUpClass makes resources runs on one worker, in order, as in a sequential run; other
    tests are spread one by one (``--dist loadscope`` with the classgroups plugin)."""
    argv = [str(python), "-m", "pytest", "-v", "-p", "no:cacheprovider", "-p", "timebox",
            f"--junitxml={junit}", "-o", "junit_family=xunit1"]
    if workers > 1:
        argv += ["-p", "classgroups", "-n", str(workers), "--dist", "loadscope"]
    return [*argv, str(tests)]


def run_suite(venv: Any, lab: dict[str, Any], suite: Suite, target: str, region: str,
              timeout: float, nice: int = 0, grace: float = 300,
              workers: int = 1) -> dict[str, Any]:
    """Run one suite against one target, time-boxed, on ``workers`` pytest workers.

    At ``timeout`` the timebox plugin lets the running tests finish and starts no other
    (junit written, clean-ups done); a run still going ``grace`` seconds later (one test
    hanging) is interrupted, then killed, and its results come from the -v lines.
    """
    work = STATE / target
    work.mkdir(parents=True, exist_ok=True)
    (work / "clouds.yaml").write_text(clouds_yaml(lab, region))
    junit = work / f"{suite.name}.xml"
    junit.unlink(missing_ok=True)
    log = ROOT / ".lab" / "conformance" / "logs" / f"{target}-{suite.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update({"PATH": f"{venv.path / 'bin'}:{env.get('PATH', '')}",
                # the timebox and classgroups plugins
                "PYTHONPATH": str(Path(__file__).resolve().parent),
                "CONFORMANCE_DEADLINE": str(time.time() + timeout),
                "OS_CLOUD": "devstack-admin", "OS_CLIENT_CONFIG_FILE": str(work / "clouds.yaml"),
                "OPENSTACKSDK_FUNC_TEST_TIMEOUT": "120",
                # the SDK's per-test fixture timeout defaults to 5 s (its tox env sets more)
                "OS_TEST_TIMEOUT": "600"})
    argv = pytest_argv(venv.bin("python"), junit, venv.site_packages / suite.package_path,
                       workers)
    if nice:
        argv = ["nice", "-n", str(nice), *argv]
    killed = False
    with open(log, "w") as out:
        # stdin closed: an `openstack` that prompts (a password, a confirmation) fails at
        # once instead of waiting forever; own session: a kill reaches its children
        proc = subprocess.Popen(argv, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            proc.wait(timeout=timeout + grace)
        except subprocess.TimeoutExpired:
            killed = True
            for sig, wait in ((signal.SIGINT, 60), (signal.SIGTERM, 15), (signal.SIGKILL, 15)):
                try:
                    os.killpg(proc.pid, sig)
                    proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
                except ProcessLookupError:
                    break
    text = log.read_text(errors="replace") if log.exists() else ""
    tests = _junit_ids(junit) or parse_verbose(log, suite.package_path)
    collected = collected_count(text)
    n = collected if collected is not None else len(tests)
    return {"target": target, "duration": round(time.monotonic() - start, 1),
            "time_box": timeout, "killed": killed, "workers": workers,
            "timed_out": killed or len(tests) < n or "time box reached" in text,
            "gateway_refused": target == "gateway" and bool(REFUSED.search(text)),
            "log": str(log), "tests": tests, "collected": n}


REFUSED = re.compile(r"(Connection refused|NewConnectionError|Failed to establish).*19999"
                     r"|19999.*(Connection refused|NewConnectionError)")
_SAVE_LOCK = threading.Lock()


def _save_target(path: Path, name: str, target: str, result: dict[str, Any]) -> None:
    """Store one target's result, re-reading the file first: the baseline and the
    gateway may run in two threads or processes at once."""
    with _SAVE_LOCK:
        data = json.loads(path.read_text()) if path.exists() else {"suite": name}
        data[target] = result
        save(path, data)


def prepare(runner: Any) -> None:
    """What the suites expect to find (an image named cirros-*-disk, a network "private")."""
    ensure_osc_image(runner.lab, runner.ks.token)
    ensure_osc_network(runner.lab["regions"]["RegionOne"]["network"], runner.ks.token)
    ensure_osc_network(runner.lab["central_neutron"], runner.ks.token)


def run_target(runner: Any, results: Path, name: str, target: str, timeout: float,
               nice: int = 0, workers: int = 1) -> None:
    """Run suite ``name`` against ``target`` ("gateway" or "baseline") and store it."""
    suite = SUITES[name]
    if not name.startswith("osc-"):
        # the SDK suites take minutes sequentially; under xdist the controller's import of a
        # test module (classgroups) raced xdist's import of a warning's module: an import
        # deadlock in openstack.block_storage.v3 ended sdk-block-storage after one test
        workers = 1
    path = results / f"{name}.json"
    key, region = ("gateway", "CentralRegion") if target == "gateway" \
        else ("regionone", "RegionOne")
    if target == "gateway" and not runner.served.get(suite.surface):
        _save_target(path, name, "gateway", {"status": "not-served"})
        return
    clean_leftovers(runner.lab, runner.ks.token, suite, key)
    print(f"[{key}] {name} (time box {timeout / 60:.0f} min, {workers} workers) ...",
          flush=True)
    result = run_suite(runner.venv, runner.lab, suite, key, region, timeout, nice,
                       workers=workers)
    _save_target(path, name, key, result)
    c = Counter(s for s in result["tests"].values())
    print(f"[{key}] {name}: pass/fail/skip {c['pass']} / {c['fail']} / {c['skip']} "
          f"({len(result['tests'])} of {result['collected']} run) in "
          f"{result['duration'] / 60:.1f} min", flush=True)


def run_all(runner: Any, results: Path, wanted: list[str],
            suites: tuple[str, ...] = DEFAULT_SUITES, timeout: float = 1800,
            nice: int = 0, workers: int = 1) -> None:
    prepare(runner)
    for name in suites:
        for target in ("gateway", "baseline"):
            if target in wanted:
                run_target(runner, results, name, target, timeout, nice, workers)
