"""``lab/lab``: the command line of the lab (see docs/lab.md)."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import lifecycle, outputs, status
from .lifecycle import LabError
from .services import all_services
from .settings import Lab


def _report(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def cmd_up(lab: Lab, args: argparse.Namespace) -> int:
    lifecycle.up(lab, _report)
    return 0


def cmd_down(lab: Lab, args: argparse.Namespace) -> int:
    lifecycle.down(lab, _report)
    return 0


def cmd_restart(lab: Lab, args: argparse.Namespace) -> int:
    lifecycle.restart(lab, args.services, _report)
    return 0


def cmd_status(lab: Lab, args: argparse.Namespace) -> int:
    rows = status.status_rows(lab)
    print(f"{'service':28} {'url / port':32} {'pid':>8}  health")
    for name, where, pid, health in rows:
        print(f"{name:28} {where:32} {pid:>8}  {health}")
    return 0 if all(r[3] == "ok" for r in rows) else 3


def cmd_logs(lab: Lab, args: argparse.Namespace) -> int:
    if not args.service:
        for path in sorted(lab.logs.glob("*.log")):
            print(f"{path.stat().st_size:>10}  {path}")
        return 0
    path = lab.logs / f"{args.service}.log"
    if not path.exists():
        names = ", ".join(s.name for s in all_services(lab))
        print(f"no log {path}; services: {names}", file=sys.stderr)
        return 2
    tail = ["tail", "-n", str(args.lines)] + (["-F"] if args.follow else []) + [str(path)]
    return subprocess.call(tail)


def cmd_reset(lab: Lab, args: argparse.Namespace) -> int:
    lifecycle.down(lab, _report)
    shutil.rmtree(lab.root, ignore_errors=True)
    _report(f"removed {lab.root} (the venvs in {lab.cache} are kept)")
    return 0


def cmd_env(lab: Lab, args: argparse.Namespace) -> int:
    print(outputs.env_line(lab))
    print(f"export PATH={lab.venv('cli') / 'bin'}:$PATH")
    return 0


def cmd_measure(lab: Lab, args: argparse.Namespace) -> int:
    print("\n".join(status.measure(lab, args.seconds)))
    return 0


COMMANDS = {"up": cmd_up, "down": cmd_down, "restart": cmd_restart, "status": cmd_status,
            "logs": cmd_logs, "reset": cmd_reset, "env": cmd_env, "measure": cmd_measure}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lab/lab", description="The Tricircle OpenStack lab.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="install if needed and start everything (idempotent)")
    sub.add_parser("down", help="stop every process the lab started")
    restart = sub.add_parser("restart", help="stop the named services (default: all), then up")
    restart.add_argument("services", nargs="*")
    sub.add_parser("status", help="every service, its URL, PID and health")
    logs = sub.add_parser("logs", help="list log files, or show one service's log")
    logs.add_argument("service", nargs="?")
    logs.add_argument("-n", "--lines", type=int, default=50)
    logs.add_argument("-f", "--follow", action="store_true")
    sub.add_parser("reset", help="stop and wipe .lab/ (venvs stay cached)")
    sub.add_parser("env", help="print the shell exports to use the lab's clouds")
    meas = sub.add_parser("measure", help="memory of every service and idle CPU")
    meas.add_argument("seconds", nargs="?", type=float, default=30.0)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    lab = Lab.from_env(Path(__file__).resolve().parents[2])
    try:
        return COMMANDS[args.command](lab, args)
    except LabError as exc:
        print(f"lab {args.command} FAILED: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0
