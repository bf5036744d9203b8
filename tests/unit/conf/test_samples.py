"""The committed sample config and policy file are what the code generates."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize("tool,output", [
    ("oslo-config-generator", "tricircle.conf.sample"),
    ("oslopolicy-sample-generator", "policy.yaml.sample"),
])
def test_committed_sample_is_current(tool, output, tmp_path):
    fresh = tmp_path / output
    subprocess.run([str(BIN / tool), "--namespace", "tricircle", "--output-file", str(fresh)],
                   check=True, capture_output=True)
    committed = (ROOT / "etc" / output).read_text()
    assert fresh.read_text() == committed, f"run `make sample-config` to refresh etc/{output}"
