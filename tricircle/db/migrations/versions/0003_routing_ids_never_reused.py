"""Routing ids are never reused on SQLite (AUTOINCREMENT).

SQLite hands out max(rowid) + 1, so the id of the newest routing row comes back
after that row is deleted; a job queued for the old row (forget, repair) could
then find a newer reservation under its id (commit 20e0729 guards the jobs; this
removes the cause). The table is copied into one declared with AUTOINCREMENT
(rows, ids, indexes and constraints kept; SQLite records the largest id copied, so
only ids deleted before this migration can come back). PostgreSQL and MariaDB
sequences never go back: nothing to do there.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _recreate(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("routings", recreate="always",
                              table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass


def upgrade() -> None:
    _recreate(True)


def downgrade() -> None:
    _recreate(False)
