"""``status`` and ``measure``: what runs, where, how healthy, how heavy."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import seed
from .api import ApiError, Session, answers
from .lifecycle import pidfile
from .procs import owned_pid, port_open, process_tree
from .services import Service, all_services
from .settings import PODS, Lab


def _api_states(lab: Lab) -> dict[str, str]:
    """Return ``<Region>-<binary> -> up/down`` as the pods' APIs report them."""
    try:
        s = Session(lab.keystone_url, timeout=1.5)
    except (ApiError, OSError, ValueError, KeyError):
        return {}
    with ThreadPoolExecutor(max_workers=len(PODS)) as pool:
        results = pool.map(lambda p: (p.name, seed.service_states(s, p, timeout=1.5)), PODS)
    return {f"{region}-{b}": st for region, states in results for b, st in states.items()}


def _health(svc: Service, pid: int | None, api_states: dict[str, str]) -> str:
    if pid is None:
        return "stopped"
    if svc.url:
        return "ok" if answers(svc.url, timeout=2.0) else "not answering"
    if svc.port is not None:
        return "ok" if port_open(svc.port) else "port closed"
    state = api_states.get(svc.name)
    return {"up": "ok", "down": "reported down"}.get(state or "", "running (state unknown)")


def status_rows(lab: Lab) -> list[tuple[str, str, str, str]]:
    """Return (service, where, pid, health) for every service, probed concurrently."""
    services = all_services(lab)
    pids = {s.name: owned_pid(pidfile(lab, s)) for s in services}
    # Every probe at once: HTTP and TCP probes, and the pods' service lists for the daemons
    # (worst case ~4.5 s when everything hangs).
    with ThreadPoolExecutor(max_workers=len(services) + 1) as pool:
        states_f = pool.submit(_api_states, lab) if pids.get("keystone") else None
        direct = {s.name: pool.submit(_health, s, pids[s.name], {})
                  for s in services if s.url or s.port is not None}
        api_states = states_f.result() if states_f else {}
        healths = [direct[s.name].result() if s.name in direct
                   else _health(s, pids[s.name], api_states) for s in services]
    rows = []
    for svc, health in zip(services, healths, strict=True):
        where = svc.url or (f"127.0.0.1:{svc.port}" if svc.port else "(rpc)")
        pid = pids[svc.name]
        rows.append((svc.name, where, str(pid) if pid else "-", health))
    return rows


def _rss_pss_kib(pid: int) -> tuple[int, int]:
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def _cpu_ticks(pids: set[int]) -> int:
    total = 0
    for pid in pids:
        try:
            raw = Path(f"/proc/{pid}/stat").read_text()
            fields = raw[raw.rindex(")") + 2:].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, ValueError):
            continue
    return total


def measure(lab: Lab, seconds: float) -> list[str]:
    """Return report lines: RSS, PSS and CPU per service over ``seconds``, and totals.

    CPU includes serving whatever clients do meanwhile: idle means nobody calls the APIs.
    """
    trees: dict[str, set[int]] = {}
    seen: set[int] = set()
    for svc in all_services(lab):
        pid = owned_pid(pidfile(lab, svc))
        if pid is not None:
            trees[svc.name] = process_tree(pid) - seen
            seen |= trees[svc.name]
    before = {name: _cpu_ticks(tree) for name, tree in trees.items()}
    time.sleep(seconds)
    scale = 100 / os.sysconf("SC_CLK_TCK") / seconds
    lines = [f"{'service':28} {'procs':>5} {'RSS_MiB':>8} {'PSS_MiB':>8} {'CPU_%':>6}"]
    totals = [0, 0, 0.0]
    for name, tree in trees.items():
        rss, pss = (sum(v) for v in zip(*(_rss_pss_kib(p) for p in tree), strict=True))
        cpu = (_cpu_ticks(tree) - before[name]) * scale
        totals = [totals[0] + rss, totals[1] + pss, totals[2] + cpu]
        lines.append(f"{name:28} {len(tree):5} {rss / 1024:8.0f} {pss / 1024:8.0f} {cpu:6.1f}")
    lines.append(f"{'TOTAL':28} {len(seen):5} {totals[0] / 1024:8.0f} {totals[1] / 1024:8.0f} "
                 f"{totals[2]:6.1f}")
    lines.append(f"CPU in % of one core over {seconds:.0f} s (machine: {os.cpu_count()} cores, "
                 f"loadavg {os.getloadavg()[0]:.2f})")
    return lines
