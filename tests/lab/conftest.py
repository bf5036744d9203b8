"""Fixtures for tests against the running lab (``lab/lab up``; see docs/lab.md).

The lab describes itself in ``.lab/lab.json``. Without a running lab these tests are
skipped, unless ``TRICIRCLE_REQUIRE_LAB=1`` (set by ``make test``, which starts the lab):
then they fail, so a broken lab cannot pass silently.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openstack
import pytest
from openstack.connection import Connection

LAB_JSON = Path(__file__).resolve().parents[2] / ".lab" / "lab.json"
PODS = ["RegionOne", "RegionTwo"]


def _keystone_answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=3).close()
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def _unavailable(reason: str) -> None:
    if os.environ.get("TRICIRCLE_REQUIRE_LAB") == "1":
        pytest.fail(f"TRICIRCLE_REQUIRE_LAB=1 but {reason}; run lab/lab up", pytrace=False)
    pytest.skip(f"{reason} (start it with lab/lab up)")


@pytest.fixture(scope="session")
def lab() -> dict[str, Any]:
    """The content of ``.lab/lab.json`` of a running lab."""
    if not LAB_JSON.exists():
        _unavailable(f"the lab is not set up ({LAB_JSON} missing)")
    info: dict[str, Any] = json.loads(LAB_JSON.read_text())
    if not _keystone_answers(info["auth_url"]):
        _unavailable(f"the lab is not running (Keystone at {info['auth_url']} not answering)")
    return info


def connect(lab: dict[str, Any], user: str, region: str, **extra: Any) -> Connection:
    """Return an openstacksdk connection as ``user`` (project per lab.json) in ``region``."""
    return openstack.connect(
        auth_url=lab["auth_url"], username=user, password=lab["password"],
        project_name=lab["users"][user], user_domain_name="Default",
        project_domain_name="Default", region_name=region, identity_api_version=3, **extra)


@pytest.fixture(scope="session")
def central_neutron(lab: dict[str, Any]) -> Iterator[Connection]:
    """Admin connection whose network endpoint is the central Neutron."""
    conn = connect(lab, "admin", lab["central_region"],
                   network_endpoint_override=lab["central_neutron"])
    yield conn
    conn.close()


@pytest.fixture(scope="module", params=PODS)
def pod(request: pytest.FixtureRequest, lab: dict[str, Any]) -> Iterator[str]:
    """Each pod in turn (module scope: the pod's fixtures are built once per pod)."""
    yield request.param


@pytest.fixture(scope="module")
def admin(lab: dict[str, Any], pod: str) -> Iterator[Connection]:
    conn = connect(lab, "admin", pod)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def demo(lab: dict[str, Any], pod: str) -> Iterator[Connection]:
    conn = connect(lab, "demo", pod)
    yield conn
    conn.close()
