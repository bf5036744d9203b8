"""[database]: the gateway's own database (routing table, pods, jobs)."""

import os

from oslo_config import cfg

GROUP = "database"


def default_connection() -> str:
    """SQLite under the user's data directory: works with nothing configured."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return "sqlite+aiosqlite:///" + os.path.join(base, "tricircle", "tricircle.db")


OPTS = [
    cfg.StrOpt("connection", default=default_connection(),
               sample_default="sqlite+aiosqlite:///$XDG_DATA_HOME/tricircle/tricircle.db",
               secret=True,
               help="SQLAlchemy async URL: sqlite+aiosqlite:///path, "
               "postgresql+asyncpg://user:pw@host/db or mysql+aiomysql://user:pw@host/db."),
    cfg.IntOpt("pool_size", default=10, min=1, help="Connections kept per process."),
    cfg.BoolOpt("echo", default=False, help="Log every SQL statement (debugging)."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
