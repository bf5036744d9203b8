"""The database's clock, as SQL expressions that mean the same on every backend.

Leases, reservations and backoff are measured in *database* time so that any
number of gateway processes on any number of hosts agree (DESIGN.md §6, §9).
Every value is a naive UTC timestamp with microseconds:

* SQLite: ``strftime('%Y-%m-%d %H:%M:%f', 'now')`` padded to six digits, the
  same text SQLAlchemy writes, so string comparison orders correctly;
* PostgreSQL: ``statement_timestamp() AT TIME ZONE 'UTC'`` (the statement's
  time, not the transaction's: a long transaction must not see a stale clock);
* MySQL/MariaDB: ``UTC_TIMESTAMP(6)``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime, Float, bindparam
from sqlalchemy.dialects import mysql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.sql.type_api import TypeEngine

# Microsecond timestamps everywhere (MySQL's DATETIME defaults to whole seconds).
Timestamp: TypeEngine[Any] = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


class utcnow(FunctionElement[Any]):  # noqa: N801 - reads like a SQL function
    """The database's current UTC time."""

    type = DateTime()
    inherit_cache = True


class utc_after(FunctionElement[Any]):  # noqa: N801
    """The database's current UTC time plus `seconds` (a float, may be negative)."""

    type = DateTime()
    inherit_cache = True

    def __init__(self, seconds: float) -> None:
        super().__init__(bindparam(None, float(seconds), type_=Float()))


_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now'{}) || '000'"


@compiles(utcnow)
def _now_default(element: utcnow, compiler: Any, **kw: Any) -> str:
    return "CURRENT_TIMESTAMP"


@compiles(utcnow, "sqlite")
def _now_sqlite(element: utcnow, compiler: Any, **kw: Any) -> str:
    return "(" + _SQLITE_NOW.format("") + ")"


@compiles(utcnow, "postgresql")
def _now_pg(element: utcnow, compiler: Any, **kw: Any) -> str:
    return "(statement_timestamp() AT TIME ZONE 'UTC')"


@compiles(utcnow, "mysql")
@compiles(utcnow, "mariadb")
def _now_mysql(element: utcnow, compiler: Any, **kw: Any) -> str:
    return "UTC_TIMESTAMP(6)"


def _seconds(element: utc_after, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(utc_after, "sqlite")
def _after_sqlite(element: utc_after, compiler: Any, **kw: Any) -> str:
    seconds = _seconds(element, compiler, **kw)
    modifier = f", printf('%+.6f seconds', {seconds})"
    return "(" + _SQLITE_NOW.format(modifier) + ")"


@compiles(utc_after, "postgresql")
def _after_pg(element: utc_after, compiler: Any, **kw: Any) -> str:
    seconds = _seconds(element, compiler, **kw)
    return ("((statement_timestamp() AT TIME ZONE 'UTC') + "
            f"CAST({seconds} AS DOUBLE PRECISION) * INTERVAL '1 second')")


@compiles(utc_after, "mysql")
@compiles(utc_after, "mariadb")
def _after_mysql(element: utc_after, compiler: Any, **kw: Any) -> str:
    seconds = _seconds(element, compiler, **kw)
    return f"(UTC_TIMESTAMP(6) + INTERVAL ROUND({seconds} * 1000000) MICROSECOND)"
