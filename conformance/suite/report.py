"""docs/conformance.md, generated from the stored results and conformance/known-gaps.tsv."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from .lab import ROOT
from .tempest import Subset, base_id, symptom

HERE = Path(__file__).resolve().parent.parent
KNOWN_GAPS = HERE / "known-gaps.tsv"
KNOWN_BASELINE = HERE / "known-baseline-failures.tsv"
DOC = ROOT / "docs" / "conformance.md"


def load_gaps(path: Path = KNOWN_GAPS) -> list[tuple[re.Pattern[str], str, str]]:
    """Return (id regex, reason, issue) rows of a known-reasons table, in file order."""
    gaps = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            regex, reason, issue = (line.split("\t") + ["", ""])[:3]
            gaps.append((re.compile(regex), reason.strip(), issue.strip()))
    return gaps


def explain(test_id: str, gaps: list[tuple[re.Pattern[str], str, str]],
            symptom_text: str = "") -> tuple[str, str]:
    """The first row whose regex matches the test id (or, for a regex written
    ``symptom:…``, the failure's first symptom); ("unexplained", "") otherwise."""
    for regex, reason, issue in gaps:
        if regex.pattern.startswith("symptom:"):
            if symptom_text and re.search(regex.pattern[len("symptom:"):], symptom_text):
                return reason, issue
        elif regex.search(test_id):
            return reason, issue
    return "unexplained", ""


def load(results: Path, target: str, name: str) -> dict[str, Any] | None:
    path = results / target / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def counts(res: dict[str, Any] | None) -> str:
    if res is None:
        return "not run"
    if res.get("status") == "not-served":
        return "not served yet"
    if res.get("lab_down_after_run"):
        return "lab or gateway restarted during the run: rerun"
    if res.get("status") == "error":
        return "error: no result (see its log)"
    c = Counter(s.split(":")[0] for s in res["tests"].values())
    return f"{c['pass']} / {c['fail']} / {c['skip']}"


def _mins(res: dict[str, Any] | None) -> str:
    if not res or "duration" not in res:
        return ""
    return f"{res['duration'] / 60:.1f}"


def _ratio(gw: dict[str, Any] | None, base: dict[str, Any] | None) -> str:
    if not gw or not base or "tests" not in gw or "tests" not in base:
        return ""
    base_pass = {base_id(t) for t, s in base["tests"].items() if s == "pass"}
    if not base_pass:
        return ""
    gw_pass = {base_id(t) for t, s in gw["tests"].items() if s == "pass"}
    return f"{100 * len(base_pass & gw_pass) / len(base_pass):.1f} %"


def gateway_only_failures(gw: dict[str, Any], base: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (test id, how it ended) for tests passing directly that fail through the
    gateway or skip themselves there (both count against the ratio)."""
    base_pass = {base_id(t) for t, s in base["tests"].items() if s == "pass"}
    return sorted((t, s) for t, s in gw["tests"].items()
                  if s.startswith(("fail", "skip")) and base_id(t) in base_pass)


def _gaps(gw: dict[str, Any] | None, base: dict[str, Any] | None,
          gaps: list[tuple[re.Pattern[str], str, str]]) -> str:
    if not gw or not base or "tests" not in gw or "tests" not in base:
        return ""
    fails = gateway_only_failures(gw, base)
    digests = gw.get("symptoms", {})
    unexplained = sum(1 for tid, _ in fails
                      if explain(tid, gaps, symptom(tid, digests))[0] == "unexplained")
    return f"{len(fails)} ({unexplained})"


def git_head() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                         capture_output=True, text=True)
    return out.stdout.strip() or "?"


def tempest_section(results: Path, subsets: dict[str, Subset],
                    gaps: list[tuple[re.Pattern[str], str, str]]) -> list[str]:
    lines = ["## Tempest 47.0.0", "",
             "pass / fail / skip per subset; *ratio* = share of the tests that pass directly "
             "which also pass through the gateway.", "",
             "| subset | tests | gateway | baseline | baseline target | ratio | "
             "gateway-only failures or skips (unexplained) | minutes gw / base | "
             "isolated networks gw / base |",
             "|---|---:|---|---|---|---:|---|---|---|"]
    details: list[str] = []
    for sub in subsets.values():
        gw = load(results, "gateway", sub.name)
        base = load(results, sub.baseline, sub.name)
        n = len((base or gw or {}).get("tests", {})) or ""
        iso = " / ".join(str((r or {}).get("isolated_networks", "")) for r in (gw, base))
        lines.append(f"| {sub.name} | {n} | {counts(gw)} | {counts(base)} | {sub.baseline} | "
                     f"{_ratio(gw, base)} | {_gaps(gw, base, gaps)} | "
                     f"{_mins(gw)} / {_mins(base)} | {iso} |")
        details += subset_details(sub, gw, base, gaps)
    return lines + ["", *details]


def subset_details(sub: Subset, gw: dict[str, Any] | None, base: dict[str, Any] | None,
                   gaps: list[tuple[re.Pattern[str], str, str]]) -> list[str]:
    out = [f"### {sub.name}: {sub.title}", ""]
    if gw and base and "tests" in gw and "tests" in base:
        mv = [r.get("conf", {}).get("NOVA_MAX_MICROVERSION", "?") for r in (gw, base)]
        out += [f"Compute microversion window: gateway 2.1–{mv[0]}, baseline 2.1–{mv[1]}.", ""]
        fails = gateway_only_failures(gw, base)
        out.append(f"Failing or skipped through the gateway, passing directly: {len(fails)}.")
        if fails:
            out += ["", "| test | result | first symptom through the gateway | reason | issue |",
                    "|---|---|---|---|---|"]
            digests = gw.get("symptoms", {})
            for tid, how in fails:
                sym = symptom(tid, digests)
                reason, issue = explain(tid, gaps, sym)
                sym = sym.replace("|", "\\|")
                out.append(f"| `{base_id(tid)}` | {how} | {sym} | {reason} | {issue} |")
        if gw.get("isolated_networks") != base.get("isolated_networks"):
            out += ["", "Columns ran with different `create_isolated_networks`: rerun both."]
    elif gw and gw.get("status") == "not-served":
        out.append(f"The gateway does not serve `{sub.surface}` yet: baseline only.")
    else:
        out.append("Not run through both targets yet.")
    if base and "tests" in base:
        bfails = sorted(t for t, s in base["tests"].items() if s.startswith("fail"))
        if bfails:
            out += ["", f"<details><summary>Failing directly ({len(bfails)}; lab or "
                    "configuration, not the gateway; reasons from "
                    "conformance/known-baseline-failures.tsv)</summary>", ""]
            known = load_gaps(KNOWN_BASELINE)
            out += [f"- `{base_id(t)}` ({base['tests'][t]}) — {explain(t, known)[0]}"
                    for t in bfails]
            out += ["", "</details>"]
    return out + [""]


def _client_cell(res: dict[str, Any] | None) -> str:
    """pass / fail / skip, and how much of the suite the time box let run."""
    if res is None or "tests" not in res:
        return counts(res)
    cell = counts(res)
    ran, n = len(res["tests"]), res.get("collected", len(res["tests"]))
    if res.get("gateway_refused"):
        cell += " (the gateway refused connections during the run: rerun)"
    if ran < n:
        box = res.get("time_box")
        cell += f" ({ran} of {n} run" + (f" in the {box / 60:.0f}-min time box)" if box
                                        else "; cut short)")
    return cell


def _client_ratio(gw: dict[str, Any] | None, base: dict[str, Any] | None) -> str:
    """Share of the tests passing directly that pass through the gateway, over the tests
    both time-boxed runs reached (pytest runs them in the same order on both sides)."""
    if not gw or not base or "tests" not in gw or "tests" not in base:
        return ""
    both = set(gw["tests"]) & set(base["tests"])
    base_pass = {t for t in both if base["tests"][t] == "pass"}
    if not base_pass:
        return ""
    gw_pass = {t for t in base_pass if gw["tests"][t] == "pass"}
    return f"{100 * len(gw_pass) / len(base_pass):.1f} % of {len(base_pass)}"


def clients_section(results: Path) -> list[str]:
    rows = []
    for path in sorted((results / "clients").glob("*.json")) if (results / "clients").exists() \
            else []:
        data = json.loads(path.read_text())
        rows.append(data)
    if not rows:
        return ["## openstacksdk and python-openstackclient functional tests", "",
                "Not run yet (`conformance/run --clients`).", ""]
    out = ["## openstacksdk and python-openstackclient functional tests", "",
           "Unmodified functional tests of openstacksdk and python-openstackclient, from the "
           "conformance venv (`conformance/constraints.txt`), with the cloud names they expect "
           "(`devstack`, `devstack-alt`, `devstack-admin`, `devstack-system-admin`) pointing at "
           "region `CentralRegion` (gateway) or `RegionOne` (baseline). A run uses "
           "`--client-workers` pytest-xdist workers (a test class whose setUpClass makes "
           "resources stays on one worker; other tests are spread one by one) and is "
           "time-boxed (`--client-timeout`): at the end of the box the running tests finish "
           "and no other starts; *ratio* counts only the tests both columns reached.", "",
           "| suite | tests | gateway | baseline (RegionOne) | ratio | minutes gw / base "
           "| workers gw / base |",
           "|---|---:|---|---|---:|---|---|"]
    details: list[str] = []
    gaps = load_gaps()
    for data in rows:
        gw, base = data.get("gateway"), data.get("regionone")
        n = max((r or {}).get("collected", len((r or {}).get("tests", {})))
                for r in (gw, base)) or ""
        workers = " / ".join(str((r or {}).get("workers", 1) if r and "tests" in r else "")
                             for r in (gw, base))
        out.append(f"| {data['suite']} | {n} | {_client_cell(gw)} | {_client_cell(base)} | "
                   f"{_client_ratio(gw, base)} | {_mins(gw)} / {_mins(base)} | {workers} |")
        if gw and base and "tests" in gw and "tests" in base:
            fails = gateway_only_failures(gw, base)
            details += [f"{data['suite']}: {len(fails)} failing or skipped through the "
                        "gateway, passing directly."]
            details += [f"- `{tid}` ({how}) — {explain(tid, gaps)[0]}" for tid, how in fails]
            details += [""]
    return out + [""] + details


def switched_off(template: Path) -> list[tuple[str, str, str]]:
    """(section, option, reason) for every feature the tempest template turns off."""
    rows: list[tuple[str, str, str]] = []
    section, comment, in_comment = "", "", False
    for raw in template.read_text().splitlines():
        line = raw.strip()
        was_comment, in_comment = in_comment, line.startswith("#")
        if line.startswith("["):
            section, comment = line.strip("[]"), ""
        elif in_comment:
            text = line.lstrip("# ").strip("- ")
            comment = f"{comment} {text}" if was_comment else text
        elif line.endswith("= False") and section.endswith(("feature-enabled", "validation",
                                                            "service_available")):
            rows.append((section, line.split("=")[0].strip(), comment))
        elif not line:
            comment = ""
    return rows


def config_section() -> list[str]:
    template = HERE / "tempest" / "tempest.conf.template"
    out = ["## Switched off in the tempest configuration", "",
           "What a fake hypervisor, an agent-less Neutron and this lab cannot provide; the same "
           "file serves both columns.", "", "| section | option | reason |", "|---|---|---|"]
    out += [f"| {s} | {o} | {r} |" for s, o, r in switched_off(template)]
    return out + [""]


def runs_lines(results: Path) -> list[str]:
    """The last full run (make conformance) and every run after it, from runs.json."""
    path = results / "runs.json"
    runs = json.loads(path.read_text()) if path.exists() else []
    if not runs and (results / "last-run.json").exists():
        runs = [{**json.loads((results / "last-run.json").read_text()), "full": True}]
    if not runs:
        return []
    last_full = max((i for i, r in enumerate(runs) if r.get("full")), default=0)
    out = ["Runs behind these results (the last full run, then any later partial rerun, "
           "whose results replace the full run's for what it ran):", ""]
    for run in runs[last_full:]:
        kind = "full run" if run.get("full") else "rerun"
        out.append(f"- {kind}: `conformance/run {' '.join(run['argv'])}` at commit "
                   f"`{run['commit']}`, {run['started']} to {run['finished']} "
                   f"({run['minutes']} min wall time)")
    return out + [""]


def write(results: Path, subsets: dict[str, Subset], meta: dict[str, str]) -> Path:
    gaps = load_gaps()
    lines = [
        "# Conformance: tempest and the OpenStack clients against the gateway", "",
        "<!-- generated by conformance/run (make conformance); do not edit by hand -->", "",
        f"Generated {meta.get('generated', '')} at commit `{git_head()}` from the results "
        f"stored under `.lab/conformance/results/`. Tempest configuration: "
        "`conformance/tempest/tempest.conf.template` (every switched-off feature with its "
        "reason); subsets: `conformance/tempest/subsets.tsv`; reasons for gateway-only "
        "failures: `conformance/known-gaps.tsv`.", "",
        "Targets: **gateway** = `[identity] region = CentralRegion` (every service from the "
        "gateway's catalog entries); **regionone** = the pod RegionOne directly; "
        "**central-neutron** = central Neutron directly (registered in Keystone as region "
        "`ConformanceCentralNeutron` for this purpose). Excluded everywhere: "
        "`exclude-no-agents.txt` (no Neutron agents) and `exclude-catalog-writers.txt` "
        "(shared Keystone).", "",
        "`create_isolated_networks` is True only when the gateway serves the network API; "
        "otherwise both columns of the compute subsets boot servers without a tenant "
        "network (same configuration on both sides).", "",
        "Commands: `make conformance` (everything), `conformance/run --subsets compute-core "
        "--targets baseline`, `conformance/run --report-only`, `conformance/run --gate`, "
        "`conformance/run --update-gate`.", "",
    ]
    lines += runs_lines(results)
    gate = HERE / "gate-passing.txt"
    n_gate = sum(1 for ln in gate.read_text().splitlines()
                 if ln.strip() and not ln.startswith("#")) if gate.exists() else 0
    lines += [f"CI gate (`make test` → `tests/conformance/test_tempest_gate.py`): the {n_gate} "
              "tests of `conformance/gate-passing.txt` (smoke, compute-core and network-core tests "
              "that passed through the gateway) must still pass through it.", ""]
    lines += tempest_section(results, subsets, gaps)
    lines += clients_section(results)
    lines += config_section()
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text("\n".join(lines).rstrip() + "\n")
    return DOC
