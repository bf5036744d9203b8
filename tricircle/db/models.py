"""The gateway's tables: pods, tenant-pod bindings, routings, jobs.

The routing table is the only essential state (DESIGN.md §2); the rest is the
pod registry and the durable job queue. Times are set by the database
(`clock.utcnow()` as the column default: part of the INSERT/UPDATE statement),
never by a gateway process clock, and stored as naive UTC with microseconds.

Table and column names are an interface (docs/dev/interfaces.md); change them
only with a migration.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tricircle.db.clock import Timestamp, utcnow

POD_STATES = ("enabled", "draining", "disabled")
POD_HEALTH = ("unknown", "healthy", "unhealthy")
JOB_STATES = ("new", "running", "succeeded", "failed")
LIVE_JOB_STATES = ("new", "running")

# SQLite only auto-increments an INTEGER PRIMARY KEY; elsewhere routings get 64 bits.
RowId = BigInteger().with_variant(Integer, "sqlite")


def new_uuid() -> str:
    return str(uuid.uuid4())


# Every constraint gets a predictable name, so later migrations can drop or alter
# it on every backend (SQLite batch mode included).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow(),
                                                 onupdate=utcnow(), nullable=False)


class Pod(Timestamps, Base):
    """One member OpenStack instance = one Keystone region."""

    __tablename__ = "pods"
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    region_name: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    az_name: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    pod_az_name: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    dc_name: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    # enabled | draining (no new placements) | disabled
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="enabled")
    # healthy | unhealthy | unknown; flips only after N consecutive probe results
    health: Mapped[str] = mapped_column(String(16), nullable=False, default="unknown")
    consecutive_failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    consecutive_successes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_probe_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # {"compute": {"min_version": "2.1", "max_version": "2.104"}, "volume": {...}, ...}
    capabilities: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


class TenantBinding(Timestamps, Base):
    """A project pinned to one pod inside one top availability zone."""

    __tablename__ = "tenant_bindings"
    __table_args__ = (UniqueConstraint("project_id", "az_name", name="uq_binding_project_az"),)
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    project_id: Mapped[str] = mapped_column(String(64), nullable=False)
    az_name: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    pod_id: Mapped[str] = mapped_column(String(36), ForeignKey("pods.id", ondelete="CASCADE"),
                                        nullable=False, index=True)


class Routing(Timestamps, Base):
    """Where a top resource lives: (top_id, resource_type) -> (pod, bottom_id).

    A row with `bottom_id` NULL is a reservation made before the bottom resource
    exists (the create protocol of DESIGN.md §6); its `created_at` in database time
    is the lease start. Deleting a pod that still has routings is refused (no
    cascade): the rows are the only record of where tenants' resources live.
    """

    __tablename__ = "routings"
    __table_args__ = (
        UniqueConstraint("top_id", "pod_id", "resource_type", name="uq_routing_top_pod_type"),
        # Which pods hold a project's resources of a type: one scan of this index.
        Index("ix_routing_project_type_pod", "project_id", "resource_type", "pod_id"),
        Index("ix_routing_bottom", "bottom_id"),
        Index("ix_routing_top_type", "top_id", "resource_type"),
        # Does a pod hold resources of a type (any project): one seek per pod.
        Index("ix_routing_pod_type", "pod_id", "resource_type"),
        # SQLite would reuse a deleted row's id (max + 1); jobs name rows by id
        {"sqlite_autoincrement": True},
    )
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    top_id: Mapped[str] = mapped_column(String(127), nullable=False)
    bottom_id: Mapped[str | None] = mapped_column(String(127), nullable=True)
    pod_id: Mapped[str] = mapped_column(String(36), ForeignKey("pods.id"), nullable=False)
    project_id: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    resource_type: Mapped[str] = mapped_column(String(64), nullable=False)


class Job(Timestamps, Base):
    """A durable, retried unit of asynchronous work (DESIGN.md §9).

    `live_key` is "<type>:<resource_key>" while the job is new or running and NULL
    once it ended, so the unique constraint allows one live job per (type,
    resource) on every database (NULLs never collide) and a new trigger coalesces.
    `rerun` records a trigger that arrived while the job was running: when the
    run ends, the job goes back to new instead of ending, so the trigger is not lost.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("live_key", name="uq_job_live_key"),
        Index("ix_job_due", "status", "not_before"),
        Index("ix_job_type_resource", "type", "resource_key"),
        Index("ix_job_project", "project_id"),
    )
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    type: Mapped[str] = mapped_column(String(64), nullable=False)
    resource_key: Mapped[str] = mapped_column(String(255), nullable=False)
    live_key: Mapped[str | None] = mapped_column(String(320), nullable=True)
    project_id: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="new")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rerun: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                        server_default=false())
    not_before: Mapped[datetime] = mapped_column(Timestamp, default=utcnow(), nullable=False)
    lease_owner: Mapped[str | None] = mapped_column(String(255), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Request that enqueued the job (joins gateway and worker logs).
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    # Set by the handler for the admin API (e.g. {"done": 3, "total": 5}).
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
