"""Helpers shared by the operator commands: async entry, database, output.

The operator commands work on the database directly (and Keystone where they
must), so they work without a token; they are for the people who run the
gateway, on its hosts.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TextIO

from oslo_config import cfg

from tricircle import faults
from tricircle.db.engine import Database


def add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--format", choices=["table", "json"], default="table",
                        help="Output format (default: table).")


def run(main: Callable[[], Awaitable[int]]) -> int:
    """Run an async command; a TricircleError is printed (not a traceback) with exit 1."""
    try:
        return asyncio.run(_guarded(main))
    except KeyboardInterrupt:
        return 130


async def _guarded(main: Callable[[], Awaitable[int]]) -> int:
    try:
        return await main()
    except faults.TricircleError as exc:
        print(f"error: {exc.text}", file=sys.stderr)
        return 1


@asynccontextmanager
async def database(conf: cfg.ConfigOpts) -> AsyncIterator[Database]:
    """The configured database (closed on exit); Alembic's chatter is kept quiet."""
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    db = Database(conf.database.connection, echo=conf.database.echo, pool_size=2)
    try:
        yield db
    finally:
        await db.close()


def plain(value: Any) -> Any:
    """JSON-ready form of dataclasses, datetimes, lists and dicts."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)


def print_table(rows: Sequence[Any], columns: Sequence[str], fmt: str = "table",
                out: TextIO | None = None) -> None:
    """Print `rows` (dataclasses or dicts) as an aligned table or a JSON list."""
    out = out or sys.stdout
    data = [plain(r) for r in rows]
    if fmt == "json":
        print(json.dumps(data, indent=2, sort_keys=True), file=out)
        return
    cells = [[_cell(row.get(c)) for c in columns] for row in data]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(), file=out)
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip(), file=out)


def print_record(record: Any, fmt: str = "table", out: TextIO | None = None) -> None:
    """Print one record as `field  value` lines or a JSON object."""
    out = out or sys.stdout
    data = plain(record)
    if fmt == "json":
        print(json.dumps(data, indent=2, sort_keys=True), file=out)
        return
    width = max(len(k) for k in data)
    for key, value in data.items():
        print(f"{key.ljust(width)}  {_cell(value)}", file=out)
