"""`tricircle audit` on a SQLite database (no central Neutron configured)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tricircle.cmd import main as cli


def _run(config: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(["--config-file", str(config), *argv])
    return code, capsys.readouterr().out


def test_audit_request_run_and_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "tricircle.conf"
    config.write_text(f"[database]\nconnection = sqlite+aiosqlite:///{tmp_path / 't.db'}\n"
                      "[keystone]\nauth_url = http://127.0.0.1:9/v3\n")
    assert _run(config, capsys, "db", "upgrade")[0] == 0
    assert _run(config, capsys, "audit", "show") == (1, "no audit has finished yet\n")
    code, out = _run(config, capsys, "audit", "request")
    assert code == 0 and len(out.strip()) == 36
    code, again = _run(config, capsys, "audit", "request")
    assert again == out  # joins the pending on-demand run
    code, out = _run(config, capsys, "audit", "run", "--dry-run", "-f", "json")
    assert code == 0
    assert json.loads(out)["skipped"] == "central Neutron is not configured"
