"""Where the lab lives and what runs where: paths, ports, regions, credentials."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

PASSWORD = "labpass"  # every password in the lab; loopback only, documented in docs/lab.md
HOST = "127.0.0.1"
KEYSTONE_PORT = 5000
MYSQL_PORT = 3306
RABBIT_PORT = 5672
RABBIT_DIST_PORT = 25672
EPMD_PORT = 4369
CENTRAL_NEUTRON_PORT = 9701
CENTRAL_REGION = "CentralRegion"
SERVICE_USERS = ("nova", "neutron", "glance", "cinder", "placement")

# Fixed ids so every pod holds the same test image and flavor (the gateway relies on it).
IMAGE_ID = "6b1b2a4c-3f6e-4c2a-9d0e-1a7b5c3e9f10"
IMAGE_NAME = "cirros-lab"
FLAVOR_ID = "lab-tiny"
FLAVOR_NAME = "m1.lab"

# service -> (port in RegionOne, URL path of the catalog endpoint)
POD_SERVICES: dict[str, tuple[int, str]] = {
    "compute": (8774, "/v2.1"),
    "placement": (8778, ""),
    "network": (9696, ""),
    "image": (9292, ""),
    "volumev3": (8776, "/v3"),
}


@dataclass(frozen=True)
class Pod:
    """One OpenStack region run by the lab."""

    name: str
    short: str  # prefix of its database names
    port_offset: int
    az: str

    def port(self, service_type: str) -> int:
        return POD_SERVICES[service_type][0] + self.port_offset

    def url(self, service_type: str) -> str:
        return f"http://{HOST}:{self.port(service_type)}{POD_SERVICES[service_type][1]}"


PODS = (Pod("RegionOne", "r1", 0, "az1"), Pod("RegionTwo", "r2", 10000, "az2"))


def _hash12(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


@dataclass(frozen=True)
class Lab:
    """Paths of one lab: state per clone under ``.lab/``, venvs in a per-user cache."""

    repo: Path
    cache: Path
    release: str

    @classmethod
    def from_env(cls, repo: Path) -> Lab:
        default_cache = Path.home() / ".cache" / "tricircle-lab"
        cache = Path(os.environ.get("TRICIRCLE_LAB_CACHE", default_cache)).expanduser()
        return cls(repo=repo, cache=cache, release=os.environ.get("LAB_RELEASE", "2026.2"))

    @property
    def root(self) -> Path:
        return self.repo / ".lab"

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def state(self) -> Path:
        """Markers of completed one-time steps, and seed results."""
        return self.root / "state"

    @property
    def ext_src(self) -> Path:
        return self.repo / "lab" / "ext"

    def constraints(self, kind: str) -> Path:
        return self.repo / "lab" / "constraints" / f"{kind}-{self.release}.txt"

    def venv(self, kind: str) -> Path:
        """Return the cached venv for ``srv`` or ``cli``, keyed by its constraints' hash."""
        name = "server" if kind == "srv" else "client"
        return self.cache / f"{kind}-{_hash12(self.constraints(name))}"

    @property
    def srv_bin(self) -> Path:
        return self.venv("srv") / "bin"

    @property
    def keystone_url(self) -> str:
        return f"http://{HOST}:{KEYSTONE_PORT}/v3"

    @property
    def central_neutron_url(self) -> str:
        return f"http://{HOST}:{CENTRAL_NEUTRON_PORT}"

    @property
    def mysql_url(self) -> str:
        return f"mysql+pymysql://root:{PASSWORD}@{HOST}:{MYSQL_PORT}/"

    def db_url(self, name: str) -> str:
        return f"mysql+pymysql://root:{PASSWORD}@{HOST}:{MYSQL_PORT}/{name}?charset=utf8mb4"

    def rabbit_url(self, vhost: str) -> str:
        return f"rabbit://openstack:{PASSWORD}@{HOST}:{RABBIT_PORT}/{vhost}"

    @property
    def clouds_yaml(self) -> Path:
        return self.root / "clouds.yaml"

    @property
    def lab_json(self) -> Path:
        return self.root / "lab.json"
