"""What the lab hands to its users: ``.lab/clouds.yaml`` and ``.lab/lab.json``."""

from __future__ import annotations

import json

from .ini import write_if_changed
from .settings import (
    CENTRAL_REGION,
    FLAVOR_ID,
    FLAVOR_NAME,
    IMAGE_ID,
    IMAGE_NAME,
    PASSWORD,
    POD_SERVICES,
    PODS,
    Lab,
)

ALL_REGIONS = [CENTRAL_REGION, *(p.name for p in PODS)]


def save_projects(lab: Lab, projects: dict[str, str]) -> None:
    (lab.state / "projects.json").write_text(json.dumps(projects, indent=1, sort_keys=True))


def load_projects(lab: Lab) -> dict[str, str]:
    return json.loads((lab.state / "projects.json").read_text())


def _cloud(lab: Lab, user: str, project: str, region: str | None,
           extra: dict[str, object] | None = None) -> dict[str, object]:
    cloud: dict[str, object] = {
        "auth": {"auth_url": lab.keystone_url, "username": user, "password": PASSWORD,
                 "project_name": project, "user_domain_name": "Default",
                 "project_domain_name": "Default"},
        "identity_api_version": 3,
        # openstacksdk uses regions[0] unless --os-region-name is given (it ignores
        # region_name when regions is set), so the cloud's own region goes first.
        "regions": [region, *(r for r in ALL_REGIONS if r != region)] if region
        else ALL_REGIONS,
    }
    if region:
        cloud["region_name"] = region
    return cloud | (extra or {})


def clouds(lab: Lab) -> dict[str, dict[str, object]]:
    """Return the clouds of clouds.yaml, by name."""
    return {
        "lab-admin": _cloud(lab, "admin", "admin", None),
        "regionone": _cloud(lab, "demo", "demo", "RegionOne"),
        "regiontwo": _cloud(lab, "demo", "demo", "RegionTwo"),
        "tricircle": _cloud(lab, "demo", "demo", CENTRAL_REGION),
        "tricircle-alt": _cloud(lab, "alt_demo", "alt_demo", CENTRAL_REGION),
        "tricircle-admin": _cloud(lab, "admin", "admin", CENTRAL_REGION),
        "central-neutron": _cloud(lab, "admin", "admin", CENTRAL_REGION,
                                  {"network_endpoint_override": lab.central_neutron_url}),
    }


def _yaml(value: object, indent: int = 0) -> list[str]:
    # JSON scalars are valid YAML; enough for clouds.yaml without a YAML library
    pad = "  " * indent
    lines: list[str] = []
    assert isinstance(value, dict)
    for key, item in value.items():
        if isinstance(item, dict):
            lines.append(f"{pad}{key}:")
            lines += _yaml(item, indent + 1)
        else:
            lines.append(f"{pad}{key}: {json.dumps(item)}")
    return lines


def lab_info(lab: Lab) -> dict[str, object]:
    """Return the content of lab.json (documented in docs/lab.md)."""
    return {
        "lab_root": str(lab.root),
        "release": lab.release,
        "auth_url": lab.keystone_url,
        "password": PASSWORD,
        "users": {"admin": "admin", "demo": "demo", "alt_demo": "alt_demo",
                  "tricircle": "service"},
        "projects": load_projects(lab),
        "central_region": CENTRAL_REGION,
        "central_neutron": lab.central_neutron_url,
        "regions": {p.name: {**{s: p.url(s) for s in POD_SERVICES}, "availability_zone": p.az}
                    for p in PODS},
        "image_id": IMAGE_ID,
        "image_name": IMAGE_NAME,
        "flavor_id": FLAVOR_ID,
        "flavor_name": FLAVOR_NAME,
        "mysql_url": lab.mysql_url,
        "rabbit_url": lab.rabbit_url(""),
        "clouds_yaml": str(lab.clouds_yaml),
        "cli_venv": str(lab.venv("cli")),
    }


def write_outputs(lab: Lab) -> None:
    text = "\n".join(["# written by lab/lab up; see docs/lab.md", "clouds:",
                      *_yaml(clouds(lab), 1)]) + "\n"
    write_if_changed(lab.clouds_yaml, text)
    write_if_changed(lab.lab_json, json.dumps(lab_info(lab), indent=2) + "\n")


def env_line(lab: Lab) -> str:
    return f"export OS_CLIENT_CONFIG_FILE={lab.clouds_yaml}"
