"""The gateway's tables: pods, tenant-pod bindings, routings, jobs.

The routing table is the only essential state (DESIGN.md §2); the rest is the
pod registry and the durable job queue. Times that take part in leases are set
by the database (`func.now()`), never by a gateway process clock.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def new_uuid() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(),
                                                 nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(),
                                                 onupdate=func.now(), nullable=False)


class Pod(Timestamps, Base):
    """One member OpenStack instance = one Keystone region."""

    __tablename__ = "pods"

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
    last_probe_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # {"compute": {"min_version": "2.1", "max_version": "2.104"}, "volume": {...}, ...}
    capabilities: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


class TenantBinding(Timestamps, Base):
    """A project pinned to one pod inside one top availability zone."""

    __tablename__ = "tenant_bindings"
    __table_args__ = (UniqueConstraint("project_id", "az_name", name="uq_binding_project_az"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    project_id: Mapped[str] = mapped_column(String(64), nullable=False)
    az_name: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    pod_id: Mapped[str] = mapped_column(String(36), ForeignKey("pods.id", ondelete="CASCADE"),
                                        nullable=False)


class Routing(Timestamps, Base):
    """Where a top resource lives: (top_id, resource_type) -> (pod, bottom_id).

    A row with `bottom_id` NULL is a reservation made before the bottom resource
    exists (the create protocol of DESIGN.md §6); its `created_at` in database time
    is the lease start.
    """

    __tablename__ = "routings"
    __table_args__ = (
        UniqueConstraint("top_id", "pod_id", "resource_type", name="uq_routing_top_pod_type"),
        Index("ix_routing_project_type", "project_id", "resource_type"),
        Index("ix_routing_bottom", "bottom_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    top_id: Mapped[str] = mapped_column(String(127), nullable=False)
    bottom_id: Mapped[str | None] = mapped_column(String(127), nullable=True)
    pod_id: Mapped[str] = mapped_column(String(36), ForeignKey("pods.id", ondelete="CASCADE"),
                                        nullable=False)
    project_id: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    resource_type: Mapped[str] = mapped_column(String(64), nullable=False)


JOB_STATES = ("new", "running", "succeeded", "failed")
LIVE_JOB_STATES = ("new", "running")


class Job(Timestamps, Base):
    """A durable, retried unit of asynchronous work.

    `live_key` is "<type>:<resource_key>" while the job is new or running and NULL
    once it ended, so the unique constraint allows one live job per (type,
    resource) on every database (NULLs never collide) and a new trigger coalesces.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("live_key", name="uq_job_live_key"),
        Index("ix_job_due", "status", "not_before"),
        Index("ix_job_type_resource", "type", "resource_key"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    type: Mapped[str] = mapped_column(String(64), nullable=False)
    resource_key: Mapped[str] = mapped_column(String(255), nullable=False)
    live_key: Mapped[str | None] = mapped_column(String(320), nullable=True)
    project_id: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="new")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    not_before: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(),
                                                 nullable=False)
    lease_owner: Mapped[str | None] = mapped_column(String(255), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    # Set by the handler for the admin API (e.g. {"done": 3, "total": 5}).
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
