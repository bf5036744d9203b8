"""A tempest workspace made with an older conformance venv is pointed at the current one."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "conformance"))

from suite import tempest  # noqa: E402


@dataclass
class _Venv:
    path: Path

    @property
    def site_packages(self) -> Path:
        return self.path / "lib" / "python3.11" / "site-packages"


def test_a_workspace_of_an_older_venv_discovers_in_the_current_one(tmp_path: Path) -> None:
    ws = tempest.Workspace(_Venv(tmp_path / "tempest-new"), tmp_path, "gateway-volume")
    (ws.path / "etc").mkdir(parents=True)
    (ws.path / ".stestr.conf").write_text(
        "[DEFAULT]\ntest_path=/cache/tempest-old/lib/python3.11/site-packages/tempest/"
        "test_discover\n")

    ws.init("[DEFAULT]\n")

    conf = (ws.path / ".stestr.conf").read_text()
    assert "tempest-old" not in conf
    assert f"test_path={tmp_path}/tempest-new/lib/python3.11/site-packages/tempest/" \
           "test_discover" in conf
    assert (ws.path / "etc" / "tempest.conf").read_text() == "[DEFAULT]\n"
