"""conformance/run: tempest (and the clients' functional tests) through the gateway and directly.

    conformance/run                                   every subset, gateway and baseline
    conformance/run --subsets smoke,compute-core --targets baseline
    conformance/run --report-only                     regenerate docs/conformance.md
    conformance/run --gate                            CI: gate-passing.txt through the gateway
    conformance/run --update-gate                     rewrite gate-passing.txt from the results
    conformance/run --clients                         openstacksdk / OSC functional tests
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from . import clients, report, targets
from .lab import (
    CENTRAL_NEUTRON_REGION,
    GATEWAY_URL,
    ROOT,
    LabError,
    gateway_answering,
    keystone,
    load_lab,
    wait_gateway,
    wait_lab,
)
from .tempest import (
    EXCLUDES,
    TEMPEST_DIR,
    Subset,
    Workspace,
    classify,
    failure_digests,
    load_subsets,
    save,
    symptom,
)
from .venv import ensure

STATE = ROOT / ".lab" / "conformance"
RESULTS = STATE / "results"
GATE_FILE = Path(__file__).resolve().parent.parent / "gate-passing.txt"
GATE_SUBSETS = ("smoke", "compute-core", "network-core")


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="conformance/run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--subsets", default="all", help="comma-separated names (subsets.tsv)")
    p.add_argument("--targets", default="baseline,gateway",
                   help="baseline and/or gateway (default both)")
    p.add_argument("--concurrency", type=int, default=2, help="tempest workers (max 2)")
    p.add_argument("--timeout", type=float, default=2700, help="seconds per tempest run")
    p.add_argument("--lab-wait", type=float, default=2400,
                   help="seconds to wait for every lab API before a run")
    p.add_argument("--attempts", type=int, default=5,
                   help="runs of a subset at most, while the lab restarts under it")
    p.add_argument("--isolated-networks", choices=("auto", "true", "false"), default="auto",
                   help="create_isolated_networks; auto = true when the gateway serves network")
    p.add_argument("--report-only", action="store_true")
    p.add_argument("--gate", action="store_true")
    p.add_argument("--gate-timeout", type=float, default=840)
    p.add_argument("--update-gate", action="store_true")
    p.add_argument("--clients", action="store_true",
                   help="run the openstacksdk and OSC functional tests (too)")
    p.add_argument("--no-tempest", action="store_true", help="with --clients: clients only")
    p.add_argument("--client-timeout", type=float, default=300,
                   help="time box in seconds per client suite and target: the running test "
                        "finishes, the rest is reported as not reached")
    p.add_argument("--jobs", type=int, default=1, choices=(1, 2),
                   help="runs at once (2: a baseline beside a gateway run; never two tempest "
                        "runs of the same target, nor one client suite on both targets)")
    p.add_argument("--nice", type=int, default=10,
                   help="niceness of the tempest and client test runners (0: none)")
    p.add_argument("--client-workers", type=int, default=clients.DEFAULT_WORKERS,
                   help="pytest-xdist workers per OSC suite run (1: sequential; the SDK "
                        "suites always run sequentially); a class holding setUpClass "
                        "resources stays on one worker")
    p.add_argument("--client-suites", default=",".join(clients.DEFAULT_SUITES),
                   help=f"with --clients; known: {', '.join(clients.SUITES)}")
    return p.parse_args(argv)


class Runner:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.lock = threading.Lock()
        self.lab = load_lab()
        self.ks = keystone(self.lab)
        self.venv = ensure(STATE / "logs" / "install-venv.log")
        self.ks.ensure_network_region(CENTRAL_NEUTRON_REGION, self.lab["central_neutron"])
        # what the gateway serves decides its runs and, for tempest, both columns'
        # isolated networks; clients run directly need no probe of a gateway that may be down
        clients_direct = args.no_tempest and "gateway" not in args.targets.split(",")
        self.served = {s: not clients_direct and targets.surface_served(
            self.ks, targets.GATEWAY, s) for s in targets.SURFACES}
        if not clients_direct:
            print(f"gateway serves: "
                  f"{', '.join(s for s, ok in self.served.items() if ok) or 'nothing'}")

    def excludes(self) -> list[Path]:
        return [TEMPEST_DIR / name for name in EXCLUDES]

    def run_subset(self, target_name: str, sub: Subset, include: Path | None = None,
                   timeout: float | None = None, out: Path | None = None) -> dict:
        """Run one subset against one target, again if the lab restarted under it."""
        for attempt in range(self.args.attempts):
            data = self._run_subset(target_name, sub, include, timeout, out)
            if not data.get("lab_down_after_run"):
                break
            print(f"the lab or the gateway went down during the run (attempt {attempt + 1}); "
                  "retrying",
                  flush=True)
        return data

    def _run_subset(self, target_name: str, sub: Subset, include: Path | None,
                    timeout: float | None, out: Path | None) -> dict:
        target = targets.TARGETS[target_name]
        out = out or RESULTS / target.name / f"{sub.name}.json"
        if target.name == "gateway" and not self.served.get(sub.surface):
            data = {"status": "not-served", "subset": sub.name, "target": target.name,
                    "finished": now()}
            save(out, data)
            print(f"[{target.name}] {sub.name}: {sub.surface} not served by the gateway yet")
            return data
        # same value for both columns: the gateway can create tenant networks or it cannot
        isolated = self.served["network"] or sub.surface == "network"
        if self.args.isolated_networks != "auto":
            isolated = self.args.isolated_networks == "true"
        if target.name == "gateway":
            wait_gateway(self.args.lab_wait)
        down = wait_lab(self.lab, self.args.lab_wait)
        if down:
            raise LabError(f"lab APIs not answering after {self.args.lab_wait:.0f} s: "
                           f"{', '.join(down)}")
        with self.lock:  # one Keystone session for the runs of this process
            self.ks.login()
            # one workspace per target and subset: several conformance/run processes (one
            # per surface's engineer) may run at once, and a stestr repository answers only
            # for the last run made in it
            ws = Workspace(self.venv, STATE, f"{target.name}-{sub.name}")
            conf, values = targets.fill(self.lab, self.ks, target, ws.path, isolated)
            ws.init(conf)
        include = include or sub.include_path
        selected = ws.list_tests(include, self.excludes())
        print(f"[{target.name}] {sub.name}: {len(selected)} tests ...", flush=True)
        log = STATE / "logs" / f"{target.name}-{sub.name}.log"
        rc, secs, timed_out = ws.run(include, self.excludes(), log,
                                     timeout or self.args.timeout,
                                     min(self.args.concurrency, 2), self.args.nice)
        raw = ws.last_results()
        interrupted = wait_lab(self.lab, timeout=0)
        symptoms = failure_digests(log)
        refused = any("port=19999" in s and ("Connection refused" in s or "NewConnection" in s)
                      for s in symptoms.values())
        if target.name == "gateway" and (refused or not gateway_answering()):
            interrupted.append(GATEWAY_URL)  # restarted under the run (or still down)
        tests = classify(selected, raw, timed_out)
        data = {"status": "ran" if raw else "error", "subset": sub.name,
                "target": target.name, "finished": now(),
                "duration": round(secs, 1), "tempest_rc": rc, "timed_out": timed_out,
                "isolated_networks": isolated, "log": str(log),
                "tempest_log": str(ws.path / "logs" / "tempest.log"),
                "conf": {k: v for k, v in values.items() if k != "ADMIN_PASSWORD"},
                "tests": tests, "raw": raw, "lab_down_after_run": interrupted,
                "symptoms": symptoms}
        if out.exists() and out.parent.parent == RESULTS:  # the run before: --update-gate
            out.replace(out.with_suffix(".previous.json"))  # wants a test to pass in both
        save(out, data)
        c = report.counts(data)
        print(f"[{target.name}] {sub.name}: pass/fail/skip {c} in {secs / 60:.1f} min", flush=True)
        return data


def chosen_subsets(spec: str) -> list[Subset]:
    subsets = load_subsets()
    if spec == "all":
        return list(subsets.values())
    unknown = [s for s in spec.split(",") if s not in subsets]
    if unknown:
        sys.exit(f"unknown subsets {unknown}; known: {', '.join(subsets)}")
    return [subsets[s] for s in spec.split(",")]


def reclassify() -> None:
    """Recompute every stored result's columns from its raw subunit statuses."""
    for path in RESULTS.glob("*/*.json"):
        data = json.loads(path.read_text())
        if "raw" in data and "tests" in data:
            data["tests"] = classify(list(data["tests"]), data["raw"],
                                     data.get("timed_out", False))
            if data.get("log") and Path(data["log"]).exists():
                data["symptoms"] = failure_digests(Path(data["log"]))
            save(path, data)


_REPORT_LOCK = threading.Lock()


def write_report() -> None:
    with _REPORT_LOCK:
        path = report.write(RESULTS, load_subsets(), {"generated": now()})
    print(f"wrote {path}")


@dataclass
class Task:
    label: str
    needs: frozenset[str]  # resources it holds while it runs
    run: Callable[[], object]


def run_tasks(tasks: list[Task], jobs: int) -> None:
    """Run the tasks, ``jobs`` at a time, each as soon as none of its resources is held;
    in list order otherwise. The report is rewritten after each one."""
    pending, held = list(tasks), set()
    cond = threading.Condition()
    errors: list[BaseException] = []

    def worker() -> None:
        while True:
            with cond:
                while True:
                    if errors or not pending:
                        return
                    task = next((t for t in pending if not t.needs & held), None)
                    if task:
                        pending.remove(task)
                        held.update(task.needs)
                        break
                    cond.wait()
            try:
                task.run()
                write_report()
            except BaseException as exc:  # noqa: BLE001 - stop the others, re-raise below
                errors.append(exc)
            finally:
                with cond:
                    held.difference_update(task.needs)
                    cond.notify_all()

    threads = [threading.Thread(target=worker, name=f"conformance-{i}") for i in range(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def plan(runner: Runner, args: argparse.Namespace) -> list[Task]:
    """Every run asked for: per subset the baseline then the gateway, then per client suite
    the gateway then the baseline."""
    wanted = args.targets.split(",")
    tasks: list[Task] = []
    if not args.no_tempest:
        for sub in chosen_subsets(args.subsets):
            if "baseline" in wanted:
                tasks.append(Task(f"{sub.baseline} {sub.name}", frozenset({"tempest-base"}),
                                  partial(runner.run_subset, sub.baseline, sub)))
            if "gateway" in wanted:
                tasks.append(Task(f"gateway {sub.name}", frozenset({"tempest-gw"}),
                                  partial(runner.run_subset, "gateway", sub)))
    if args.clients:
        for name in args.client_suites.split(","):
            if name not in clients.SUITES:
                sys.exit(f"unknown client suite {name}; known: {', '.join(clients.SUITES)}")
            for target in ("gateway", "baseline"):
                if target in wanted:
                    # never one suite on both targets at once: they share fixed names
                    # (OSC's flavor "qaz") and the pod RegionOne
                    tasks.append(Task(f"{target} {name}",
                                      frozenset({f"client-{target}", f"suite-{name}"}),
                                      partial(clients.run_target, runner, RESULTS / "clients",
                                              name, target, args.client_timeout, args.nice,
                                              args.client_workers)))
    return tasks


def record_run(argv: list[str], started: float, finished: float, full: bool) -> None:
    """Append this invocation to results/runs.json: docs/conformance.md names the last full
    run (every subset, both targets, every client suite) and each run after it."""
    path = RESULTS / "runs.json"
    runs = json.loads(path.read_text()) if path.exists() else []
    legacy = RESULTS / "last-run.json"  # one run, written before runs.json existed
    if not runs and legacy.exists():
        runs = [{**json.loads(legacy.read_text()), "full": True}]
    stamp = "%Y-%m-%d %H:%M UTC"
    runs.append({
        "argv": argv, "commit": report.git_head(), "full": full,
        "started": dt.datetime.fromtimestamp(started, dt.UTC).strftime(stamp),
        "finished": dt.datetime.fromtimestamp(finished, dt.UTC).strftime(stamp),
        "minutes": round((finished - started) / 60, 1)})
    save_list(path, runs)


def is_full(args: argparse.Namespace) -> bool:
    return (args.subsets == "all" and set(args.targets.split(",")) == {"baseline", "gateway"}
            and args.clients and not args.no_tempest
            and set(args.client_suites.split(",")) == set(clients.SUITES))


def save_list(path: Path, items: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with _REPORT_LOCK:
        path.write_text(json.dumps(items, indent=1) + "\n")


def _passes(data: dict | None) -> set[str]:
    return {t for t, s in (data or {}).get("tests", {}).items() if s == "pass"}


def update_gate() -> int:
    """Rewrite gate-passing.txt: a test joins when it passed through the gateway in the last
    run of its subset and in the run before (when that one ran with the same isolated
    networks); a gate test leaves only when it now fails with a known gateway gap."""
    old = set(gate_ids())
    ids: set[str] = set()
    isolated = set()
    gaps = report.load_gaps()
    for name in GATE_SUBSETS:
        data = report.load(RESULTS, "gateway", name)
        if not data or "tests" not in data:
            print(f"no gateway results for {name}: run it first", file=sys.stderr)
            return 1
        isolated.add(str(data.get("isolated_networks", False)).lower())
        passing = _passes(data)
        before = report.load(RESULTS, "gateway", f"{name}.previous")
        if before and before.get("isolated_networks") == data.get("isolated_networks"):
            flaky = passing - _passes(before) - old
            passing -= flaky
            for t in sorted(flaky):
                print(f"not added (failed in the run before): {t}")
        digests = data.get("symptoms", {})
        for t, s in data["tests"].items():
            if t in old and s.startswith("fail"):
                reason = report.explain(t, gaps, symptom(t, digests))[0]
                if reason == "unexplained":
                    passing.add(t)  # kept: the gate must catch it (fix it or explain it)
                    print(f"kept, failing unexplained in the last run: {t}")
                else:
                    print(f"removed, failing with a known gap ({reason[:60]}…): {t}")
            elif t in old:
                passing.add(t)
        ids |= passing
    # a test with a known gateway gap passes or not depending on placement: not a gate test
    ids = {t for t in ids if report.explain(t, gaps)[0] == "unexplained"}
    GATE_FILE.write_text(
        "# tests that pass through the gateway (subsets " + ", ".join(GATE_SUBSETS) + ");\n"
        "# regenerated by conformance/run --update-gate; conformance/run --gate fails if one\n"
        "# of them no longer passes\n"
        f"# isolated_networks: {'true' if isolated == {'true'} else 'false'}\n"
        + "".join(f"{t}\n" for t in sorted(ids)))
    print(f"wrote {GATE_FILE} ({len(ids)} tests: {len(ids - old)} added, "
          f"{len(old - ids)} removed)")
    return 0


def gate_ids() -> list[str]:
    return [ln.strip() for ln in GATE_FILE.read_text().splitlines()
            if ln.strip() and not ln.startswith("#")] if GATE_FILE.exists() else []


def run_gate(args: argparse.Namespace) -> int:
    """Run the tests of gate-passing.txt through the gateway; 1 if one of them fails."""
    ids = gate_ids()
    if not ids:
        print("gate-passing.txt lists no test: nothing to guard (0 passed, 0 failed)")
        return 0
    if not gateway_answering():
        print("the gateway is not answering (python -m tricircle.demo up)", file=sys.stderr)
        return 2
    # the gate runs with the create_isolated_networks its list was recorded with
    header = re.search(r"^# isolated_networks: (true|false)$", GATE_FILE.read_text(), re.M)
    args.isolated_networks = header.group(1) if header else "false"
    runner = Runner(args)
    include = STATE / "gate-include.txt"
    include.parent.mkdir(parents=True, exist_ok=True)
    include.write_text("".join(f"^{re.escape(t)}$\n" for t in ids))
    sub = Subset("gate", "gate", "compute", "", "regionone")
    data = runner.run_subset("gateway", sub, include=include, timeout=args.gate_timeout,
                             out=STATE / "gate-result.json")
    tests = data.get("tests", {})
    regressions = sorted(t for t in ids if not tests.get(t, "fail").startswith(("pass", "skip")))
    if regressions and not data.get("timed_out"):
        # once more, alone: a failure that does not repeat is reported as flaky, not fatal
        include.write_text("".join(f"^{re.escape(t)}$\n" for t in regressions))
        again = runner.run_subset("gateway", sub, include=include,
                                  timeout=min(args.gate_timeout, 300),
                                  out=STATE / "gate-rerun.json").get("tests", {})
        for t in regressions:
            if again.get(t) == "pass":
                print(f"FLAKY (failed, then passed alone): {t}")
                tests[t] = "pass"
        regressions = [t for t in regressions if tests.get(t) != "pass"]
    passed = sum(1 for t in ids if tests.get(t) == "pass")
    for t in regressions:
        print(f"REGRESSION {tests.get(t, 'missing')}: {t}")
    if data.get("timed_out"):
        print(f"gate timed out after {args.gate_timeout:.0f} s")
    print(f"gate: {passed} passed, {len(regressions)} failed (of {len(ids)} known to pass); "
          f"log {data.get('log')}")
    return 1 if regressions else 0


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        if args.report_only:
            reclassify()
            write_report()
            return 0
        if args.update_gate:
            return update_gate()
        if args.gate:
            return run_gate(args)
        started = time.time()
        runner = Runner(args)
        tasks = plan(runner, args)
        if args.clients:
            clients.prepare(runner)
        run_tasks(tasks, args.jobs)
        record_run(sys.argv[1:] if argv is None else argv, started, time.time(),
                   is_full(args))
        write_report()
        return 0
    except LabError as exc:
        print(f"conformance/run: {exc}", file=sys.stderr)
        return 2
