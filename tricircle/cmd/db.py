"""Manage the gateway's database schema (upgrade, current)."""

from __future__ import annotations

import argparse

from oslo_config import cfg

from tricircle.cmd import common
from tricircle.db import migrate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    up = sub.add_parser("upgrade", help="Upgrade the schema (default: to the newest revision).")
    up.add_argument("--revision", default="head", help="Target revision (default: head).")
    sub.add_parser("current", help="Show the schema's revision; exit 1 if not at head.")


def run(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    url = conf.database.connection

    async def upgrade() -> int:
        before = await migrate.current(url)
        after = await migrate.upgrade(url, args.revision)
        print(f"database upgraded from {before or 'empty'} to {after}"
              if before != after else f"database already at {after}")
        return 0

    async def current() -> int:
        found, head = await migrate.current(url), migrate.head()
        print(f"{found or 'empty'}{' (head)' if found == head else f' (head is {head})'}")
        return 0 if found == head else 1

    return common.run(upgrade if args.action == "upgrade" else current)
