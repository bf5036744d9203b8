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
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .lab import ROOT, http
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


VERBOSE = re.compile(r"^(?P<path>\S+)::(?P<cls>\w+)::(?P<name>\S+) "
                     r"(?P<st>PASSED|FAILED|SKIPPED|ERROR|XFAIL|XPASS)")


def parse_verbose(log: Path) -> dict[str, str]:
    """Results from pytest -v lines, for a run cut short before it wrote its junit file."""
    status = {"PASSED": "pass", "XFAIL": "pass", "SKIPPED": "skip"}
    tests: dict[str, str] = {}
    for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
        m = VERBOSE.match(line)
        if m:
            module = Path(m["path"]).stem
            tests[f"{module}.{m['cls']}.{m['name']}"] = status.get(m["st"], "fail")
    return tests


def run_suite(venv: Any, lab: dict[str, Any], suite: Suite, target: str, region: str,
              timeout: float) -> dict[str, Any]:
    work = STATE / target
    work.mkdir(parents=True, exist_ok=True)
    (work / "clouds.yaml").write_text(clouds_yaml(lab, region))
    junit = work / f"{suite.name}.xml"
    junit.unlink(missing_ok=True)
    log = ROOT / ".lab" / "conformance" / "logs" / f"{target}-{suite.name}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update({"PATH": f"{venv.path / 'bin'}:{env.get('PATH', '')}",
                "OS_CLOUD": "devstack-admin", "OS_CLIENT_CONFIG_FILE": str(work / "clouds.yaml"),
                "OPENSTACKSDK_FUNC_TEST_TIMEOUT": "120",
                # the SDK's per-test fixture timeout defaults to 5 s (its tox env sets more)
                "OS_TEST_TIMEOUT": "600"})
    argv = [str(venv.bin("python")), "-m", "pytest", "-v", "-p", "no:cacheprovider",
            f"--junitxml={junit}", "-o", "junit_family=xunit1",
            str(venv.site_packages / suite.package_path)]
    start = time.monotonic()
    timed_out = False
    with open(log, "w") as out:
        try:
            subprocess.run(argv, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT,
                           timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
    tests = parse_junit(junit) or parse_verbose(log)
    collected = re.search(r"collected (\d+) items", log.read_text(errors="replace")) \
        if log.exists() else None
    return {"target": target, "duration": round(time.monotonic() - start, 1),
            "timed_out": timed_out, "log": str(log), "tests": tests,
            "collected": int(collected.group(1)) if collected else len(tests)}


def _save_target(path: Path, name: str, target: str, result: dict[str, Any]) -> None:
    """Store one target's result, re-reading the file first: the baseline and the
    gateway may run in two processes at once."""
    data = json.loads(path.read_text()) if path.exists() else {"suite": name}
    data[target] = result
    save(path, data)


def run_all(runner: Any, results: Path, wanted: list[str],
            suites: tuple[str, ...] = DEFAULT_SUITES, timeout: float = 1800) -> None:
    ensure_osc_image(runner.lab, runner.ks.token)
    for name in suites:
        suite = SUITES[name]
        path = results / f"{name}.json"
        if "baseline" in wanted:
            ensure_osc_network(runner.lab["regions"]["RegionOne"]["network"], runner.ks.token)
            print(f"[regionone] {name} ...", flush=True)
            _save_target(path, name, "regionone", run_suite(
                runner.venv, runner.lab, suite, "regionone", "RegionOne", timeout))
        if "gateway" in wanted:
            if not runner.served.get(suite.surface):
                _save_target(path, name, "gateway", {"status": "not-served"})
            else:
                ensure_osc_network(runner.lab["central_neutron"], runner.ks.token)
                print(f"[gateway] {name} ...", flush=True)
                _save_target(path, name, "gateway", run_suite(
                    runner.venv, runner.lab, suite, "gateway", "CentralRegion", timeout))
