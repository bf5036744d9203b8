"""`make demo`: run the gateway against the lab, as a new user would find it.

    python -m tricircle.demo up     # config, database, pods, api, endpoints, flavor
    python -m tricircle.demo down   # stop the api started by `up`
    python -m tricircle.demo status

State lives in the git-ignored `.tricircle/` folder of the checkout: the config
file, the SQLite database, the api log and its PID file. The lab (`lab/lab up`)
must be running; its `.lab/lab.json` gives the Keystone URL and credentials.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".tricircle"
CONF = STATE / "tricircle.conf"
PIDFILE = STATE / "api.pid"
LOGFILE = STATE / "api.log"
LAB_JSON = ROOT / ".lab" / "lab.json"
PORT = int(os.environ.get("TRICIRCLE_PORT", "19999"))
URL = f"http://127.0.0.1:{PORT}"
# Pods of the lab and the top availability zone each one serves.
PODS = (("RegionOne", "az1", "az1"), ("RegionTwo", "az2", "az2"))
DEMO_FLAVOR_NAME = "m1.tiny"
DEMO_FLAVOR: dict[str, object] = {"name": DEMO_FLAVOR_NAME, "id": "tricircle-tiny", "vcpus": 1,
                                  "ram": 128, "disk": 1}


def lab() -> dict:
    if not LAB_JSON.exists():
        sys.exit(f"{LAB_JSON} not found: start the lab first (make lab)")
    return json.loads(LAB_JSON.read_text())


def write_config(info: dict) -> None:
    STATE.mkdir(exist_ok=True)
    central = info.get("central_neutron", "")
    CONF.write_text(f"""# written by `python -m tricircle.demo up` for the lab
[api]
bind_host = 127.0.0.1
bind_port = {PORT}

[database]
connection = sqlite+aiosqlite:///{STATE / 'tricircle.db'}

[keystone]
auth_url = {info['auth_url']}
username = tricircle
password = {info.get('password', 'labpass')}
project_name = service
user_domain_name = Default
project_domain_name = Default

[networking]
central_neutron_url = {central}
""")


def tricircle(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "tricircle.cmd.main", "--config-file", str(CONF), *args]
    return subprocess.run(cmd, check=check, text=True, capture_output=True)


def running() -> int | None:
    try:
        pid = int(PIDFILE.read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    return pid if b"tricircle" in cmdline else None


def answering() -> bool:
    try:
        with urllib.request.urlopen(URL + "/", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def code_changed_since_start() -> bool:
    """True when a module of the package is newer than the running api (a
    restart is needed for `up` to leave the current code running)."""
    started = PIDFILE.stat().st_mtime
    package = ROOT / "tricircle"
    return any(p.stat().st_mtime > started for p in package.rglob("*.py"))


def start_api() -> None:
    if running() is None and answering():
        sys.exit(f"another process already answers on {URL} (not the gateway of this "
                 f"checkout, {PIDFILE}): stop it first")
    if running() and answering():
        if not code_changed_since_start():
            print(f"gateway already running (pid {running()}) on {URL}")
            return
        print("gateway code changed since it started: restarting")
        down()
    log = LOGFILE.open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tricircle.cmd.main", "--config-file", str(CONF), "api"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT)
    PIDFILE.write_text(str(proc.pid))
    for _ in range(100):
        if answering():
            print(f"gateway started (pid {proc.pid}) on {URL}, log {LOGFILE}")
            return
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    sys.exit(f"gateway did not start; see {LOGFILE}")


def add_pods() -> None:
    for region, az, pod_az in PODS:
        if tricircle("pod", "show", region, check=False).returncode == 0:
            continue
        tricircle("pod", "add", region, "--az", az, "--pod-az", pod_az)
        print(f"pod {region} registered as availability zone {az}")


def define_flavor(info: dict) -> None:
    import openstack

    conn = openstack.connect(cloud="tricircle-admin",
                             compute_endpoint_override=URL + "/compute/v2.1")
    if conn.compute.find_flavor(DEMO_FLAVOR_NAME, ignore_missing=True) is None:
        conn.compute.create_flavor(**DEMO_FLAVOR)
        print(f"flavor {DEMO_FLAVOR_NAME} defined at the top (in every pod)")


def up() -> None:
    info = lab()
    os.environ.setdefault("OS_CLIENT_CONFIG_FILE", info.get("clouds_yaml", str(ROOT / ".lab" /
                                                                                "clouds.yaml")))
    write_config(info)
    tricircle("db", "upgrade")
    add_pods()
    start_api()
    tricircle("register-endpoints", "--url", URL)
    define_flavor(info)
    print(f"\nexport OS_CLIENT_CONFIG_FILE={os.environ['OS_CLIENT_CONFIG_FILE']}\n"
          "openstack --os-cloud tricircle server create --flavor m1.tiny "
          f"--image {info.get('image_id', '<image>')} --nic none demo1")


def down() -> None:
    pid = running()
    if pid is None:
        print("gateway not running")
        return
    os.killpg(pid, signal.SIGTERM)
    for _ in range(50):
        if running() is None:
            break
        time.sleep(0.2)
    PIDFILE.unlink(missing_ok=True)
    print(f"gateway (pid {pid}) stopped")


def status() -> None:
    pid = running()
    state = f"running pid {pid}" if pid else "stopped"
    print(f"gateway: {state}, "
          f"{'answering' if answering() else 'not answering'} on {URL}")


if __name__ == "__main__":
    {"up": up, "down": down, "status": status}[sys.argv[1] if len(sys.argv) > 1 else "up"]()
