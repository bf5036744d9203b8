"""`tricircle` console command: one subcommand per module in tricircle.cmd."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from tricircle import conf as tconf

# subcommand -> module in tricircle.cmd exposing add_arguments(parser) and run(args, conf)
SUBCOMMANDS = {
    "api": "api",
    "worker": "worker",
    "db": "db",
    "pod": "pod",
    "routing": "routing",
    "job": "job",
    "audit": "audit",
    "register-endpoints": "register_endpoints",
    "status": "status",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tricircle",
                                     description="One OpenStack API over many pods.")
    parser.add_argument("--config-file", action="append", dest="config_files",
                        help=f"INI config (repeatable); default {tconf.DEFAULT_CONFIG_FILE} "
                        "when it exists")
    parser.add_argument("--debug", action="store_true", help="Verbose logs.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(f"tricircle.cmd.{module_name}")
        p = sub.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def setup_logging(debug: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO, stream=sys.stderr,
        format="%(asctime)s %(process)d %(levelname)s %(name)s %(message)s")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.debug)
    conf = tconf.new_config([], config_files=args.config_files)
    return int(args._module.run(args, conf) or 0)


if __name__ == "__main__":
    sys.exit(main())
