"""INSERT that skips a row clashing with a unique key, on every backend.

A unique-key error would abort the caller's whole transaction on PostgreSQL, so
the create paths that expect clashes (routing reservations, job coalescing)
ask the database to skip the row and look at the row count instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_of(s: AsyncSession) -> str:
    """'sqlite', 'postgresql' or 'mysql' (MariaDB included)."""
    name = s.get_bind().dialect.name
    return "mysql" if name == "mariadb" else name


async def insert_ignore(s: AsyncSession, model: type[Any], values: dict[str, Any]) -> bool:
    """Insert one row of `model`; False (nothing written) if a unique key clashes.

    On MySQL/MariaDB `INSERT IGNORE` also skips a foreign-key violation; callers
    that care check the parent exists (or read the row back).
    """
    dialect = dialect_of(s)
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(model).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(model).values(**values).on_conflict_do_nothing()
    else:
        stmt = insert(model).values(**values).prefix_with("IGNORE")
    result = await s.execute(stmt)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
