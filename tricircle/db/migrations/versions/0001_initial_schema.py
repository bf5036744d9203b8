"""Initial schema: pods, tenant_bindings, routings, jobs.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Naive UTC with microseconds (MySQL's DATETIME defaults to whole seconds).
TS = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _timestamps() -> list[sa.Column]:
    return [sa.Column("created_at", TS, nullable=False),
            sa.Column("updated_at", TS, nullable=False)]


def upgrade() -> None:
    op.create_table(
        "pods",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("region_name", sa.String(255), nullable=False),
        sa.Column("az_name", sa.String(255), nullable=False),
        sa.Column("pod_az_name", sa.String(255), nullable=False),
        sa.Column("dc_name", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("health", sa.String(16), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("consecutive_successes", sa.Integer(), nullable=False),
        sa.Column("last_probe_at", TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_pods"),
        sa.UniqueConstraint("region_name", name="uq_pods_region_name"),
    )
    op.create_table(
        "tenant_bindings",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("az_name", sa.String(255), nullable=False),
        sa.Column("pod_id", sa.String(36), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(["pod_id"], ["pods.id"], name="fk_tenant_bindings_pod_id_pods",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_tenant_bindings"),
        sa.UniqueConstraint("project_id", "az_name", name="uq_binding_project_az"),
    )
    op.create_index("ix_tenant_bindings_pod_id", "tenant_bindings", ["pod_id"])
    op.create_table(
        "routings",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("top_id", sa.String(127), nullable=False),
        sa.Column("bottom_id", sa.String(127), nullable=True),
        sa.Column("pod_id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("resource_type", sa.String(64), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(["pod_id"], ["pods.id"], name="fk_routings_pod_id_pods"),
        sa.PrimaryKeyConstraint("id", name="pk_routings"),
        sa.UniqueConstraint("top_id", "pod_id", "resource_type", name="uq_routing_top_pod_type"),
    )
    op.create_index("ix_routing_bottom", "routings", ["bottom_id"])
    op.create_index("ix_routing_pod", "routings", ["pod_id"])
    op.create_index("ix_routing_project_type", "routings", ["project_id", "resource_type"])
    op.create_index("ix_routing_top_type", "routings", ["top_id", "resource_type"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("resource_key", sa.String(255), nullable=False),
        sa.Column("live_key", sa.String(320), nullable=True),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("rerun", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("not_before", TS, nullable=False),
        sa.Column("lease_owner", sa.String(255), nullable=True),
        sa.Column("lease_expires_at", TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.UniqueConstraint("live_key", name="uq_job_live_key"),
    )
    op.create_index("ix_job_due", "jobs", ["status", "not_before"])
    op.create_index("ix_job_project", "jobs", ["project_id"])
    op.create_index("ix_job_type_resource", "jobs", ["type", "resource_key"])


def downgrade() -> None:
    op.drop_table("jobs")
    op.drop_table("routings")
    op.drop_table("tenant_bindings")
    op.drop_table("pods")
