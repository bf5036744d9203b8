"""Start the gateway for a benchmark: generated config, pods spec, pinned process."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench import procs
from bench.gateway_app import BENCH_TOKEN
from bench.stub_pod import PROJECT_ID

COMPUTE = "/compute/v2.1"
AUTH_HEADER = f"X-Auth-Token: {BENCH_TOKEN}"


@dataclass
class Gateway:
    proc: procs.Proc
    port: int
    mocks: list[str]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def compute(self) -> str:
        return self.base + COMPUTE


def pod_spec(index: int, compute_url: str, servers: list[str], az: str = "az1") -> dict:
    return {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-pod-{index}")),
            "region": f"pod{index:04d}", "az": az,
            "endpoints": {"compute": compute_url}, "servers": servers}


def write_config(path: Path, *, port: int, db: Path, fanout: dict[str, object] | None = None,
                 keystone_url: str = "http://127.0.0.1:9/v3", api_extra: str = "",
                 sections: str = "") -> None:
    lines = ["[api]", "bind_host = 127.0.0.1", f"bind_port = {port}", api_extra, "",
             "[database]", f"connection = sqlite+aiosqlite:///{db}", "",
             "[keystone]", f"auth_url = {keystone_url}", "password = unused", "",
             "[fanout]"]
    lines += [f"{k} = {v}" for k, v in (fanout or {}).items()]
    path.write_text("\n".join(lines) + "\n\n" + sections)


def start(workdir: Path, name: str, pods: list[dict], *, fanout: dict[str, object] | None = None,
          mocks: tuple[str, ...] = (), core: int | None = procs.PROXY_CORE,
          project_id: str = PROJECT_ID, conf_extra: str = "", sections: str = "") -> Gateway:
    """Launch bench.gateway_app on a free port and wait until it listens.

    Raises RuntimeError (with the log's tail) if it fails to start or a mock
    finds nothing to patch.
    """
    d = workdir / name
    d.mkdir(parents=True, exist_ok=True)
    port = procs.free_port()
    conf, spec, ready = d / "gateway.conf", d / "spec.json", d / "ready.json"
    ready.unlink(missing_ok=True)
    write_config(conf, port=port, db=d / "bench.db", fanout=fanout, api_extra=conf_extra,
                 sections=sections)
    spec.write_text(json.dumps({"project_id": project_id, "pods": pods}))
    argv = [procs.PY, "-m", "bench.gateway_app", "--config-file", str(conf), "--spec", str(spec),
            "--ready-file", str(ready)]
    if mocks:
        argv += ["--mock", ",".join(mocks)]
    proc = procs.start(name, argv, core=core, workdir=workdir)
    info = procs.wait_ready_file(proc, ready, timeout=300)
    return Gateway(proc, port, info.get("mocks", []))
