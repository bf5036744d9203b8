"""Accepted request bodies of the admin API (field -> type, required, choices)."""

from __future__ import annotations

from tricircle.api.admin.common import Field, Schema
from tricircle.db.models import POD_STATES

_ID = Field(str, max_length=127)

POD_CREATE: Schema = {
    "region_name": Field(str, required=True),
    "az_name": Field(str),
    "pod_az_name": Field(str),
    "dc_name": Field(str),
    "state": Field(str, choices=POD_STATES),
}
POD_UPDATE: Schema = {k: v for k, v in POD_CREATE.items() if k != "region_name"}

BINDING_CREATE: Schema = {
    "project_id": Field(str, required=True, max_length=64),
    "pod_id": Field(str, required=True),
}
BINDING_UPDATE: Schema = {"pod_id": Field(str, required=True)}

ROUTING_CREATE: Schema = {
    "top_id": Field(str, required=True, max_length=127),
    "bottom_id": Field(str, max_length=127, nullable=True),
    "pod_id": Field(str, required=True, max_length=36),
    "project_id": Field(str, required=True, max_length=64),
    "resource_type": Field(str, required=True, max_length=64),
}
ROUTING_UPDATE: Schema = {k: Field(f.type, max_length=f.max_length, nullable=f.nullable)
                          for k, f in ROUTING_CREATE.items()}

JOB_CREATE: Schema = {
    "type": Field(str, required=True, max_length=64),
    "resource_key": Field(str, required=True),
    "project_id": Field(str, max_length=64),
    "payload": Field(dict),
}
