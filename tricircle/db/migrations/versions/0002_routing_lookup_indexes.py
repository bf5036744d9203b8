"""Routing indexes for "which pods hold this project's resources".

(project_id, resource_type) becomes (project_id, resource_type, pod_id), so the
pods of a project are read from the index alone; (pod_id) becomes
(pod_id, resource_type) for "does this pod hold any resource of a type". Each new
index is created before the one it replaces is dropped (MySQL needs an index
leading with pod_id for the foreign key at every moment).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_routing_project_type_pod", "routings",
                    ["project_id", "resource_type", "pod_id"])
    op.drop_index("ix_routing_project_type", table_name="routings")
    op.create_index("ix_routing_pod_type", "routings", ["pod_id", "resource_type"])
    op.drop_index("ix_routing_pod", table_name="routings")


def downgrade() -> None:
    op.create_index("ix_routing_pod", "routings", ["pod_id"])
    op.drop_index("ix_routing_pod_type", table_name="routings")
    op.create_index("ix_routing_project_type", "routings", ["project_id", "resource_type"])
    op.drop_index("ix_routing_project_type_pod", table_name="routings")
