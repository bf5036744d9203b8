"""Keypairs: each user's keypairs present in every pod in service.

Keypairs belong to a user, so the gateway writes them with the user's own token
(top create/import/delete, `ensure_keypair`); `keypair_sync` jobs (resource key
"<user_id>/<name>", payload {"user_id", "name", "source"}) use the service
account with `user_id` (compute 2.10) to bring the pods that missed a write in
line with the source pod: import the same public key, or delete.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from tricircle import faults
from tricircle.clients.pod import PodClients, PodRequestError, PodResponse
from tricircle.context import RequestContext
from tricircle.db.engine import Database
from tricircle.distributed import replicate
from tricircle.jobs import api as jobs
from tricircle.jobs.handlers import JobContext, register
from tricircle.pods.registry import PodInfo

LOG = logging.getLogger(__name__)
KEYPAIR_SYNC = "keypair_sync"
MICROVERSION = "2.10"  # key type (2.2) and user_id for admins (2.10)


class KeypairSyncIncomplete(Exception):
    """Some pods could not be brought in line; the job retries."""


class InvalidKeyName(faults.BadRequest):
    code, message = "tricircle.invalid_key_name", "Invalid key_name provided."


def sync_key(user_id: str, name: str) -> str:
    return f"{user_id}/{name}"


async def enqueue_sync(s: AsyncSession, user_id: str, name: str, source: str, *,
                       project_id: str = "", request_id: str | None = None) -> str:
    """Make every pod in service match `source`'s copy of the keypair (job id)."""
    return await jobs.enqueue(s, KEYPAIR_SYNC, sync_key(user_id, name),
                              project_id=project_id, request_id=request_id,
                              payload={"user_id": user_id, "name": name, "source": source})


def import_body(keypair: dict[str, Any], user_id: str | None = None) -> dict[str, Any]:
    """The body that imports `keypair` (as a pod shows it) elsewhere."""
    body = {"name": keypair["name"], "public_key": keypair["public_key"],
            "type": keypair.get("type", "ssh")}
    if user_id:
        body["user_id"] = user_id
    return {"keypair": body}


async def _call(pods: PodClients, region: str, method: str, path: str,
                headers: dict[str, str], body: Any = None) -> PodResponse:
    data = json.dumps(body).encode() if body is not None else None
    return await replicate.send(pods, region, method, path, headers=headers, body=data)


# ---- before a server boots ----------------------------------------------------------
async def ensure_keypair(ctx: RequestContext, pod: PodInfo, key_name: str, *,
                         pods: PodClients, db: Database) -> None:
    """Make sure the caller's keypair `key_name` exists in `pod` before a server
    of theirs boots there: if the pod lacks it, import its public key from
    another pod in service (with the caller's token).

    Raises InvalidKeyName (400, Nova's words) when no pod in service has it,
    faults.PodUnavailable when `pod` cannot be reached or refuses the import.
    """
    headers = {**ctx.pod_headers(), "Content-Type": "application/json",
               "OpenStack-API-Version": "compute 2.2"}
    path = f"/os-keypairs/{quote(key_name, safe='')}"
    try:
        if (await _call(pods, pod.region_name, "GET", path, headers)).status == 200:
            return
        others = [p for p in await replicate.pods_in_service(db) if p.id != pod.id]
        found = await _find(pods, others, path, headers)
        if found is None:
            raise InvalidKeyName()
        resp = await _call(pods, pod.region_name, "POST", "/os-keypairs", headers,
                           import_body(found))
    except PodRequestError as exc:
        raise faults.PodUnavailable(pod=pod.region_name) from exc
    if resp.status not in (200, 201, 409):  # 409: imported meanwhile by another request
        LOG.warning("keypair %s import into %s: %s", key_name, pod.region_name, resp.status)
        raise faults.PodUnavailable(pod=pod.region_name)


async def _find(pods: PodClients, candidates: list[PodInfo], path: str,
                headers: dict[str, str]) -> dict[str, Any] | None:
    for pod in candidates:
        try:
            resp = await _call(pods, pod.region_name, "GET", path, headers)
        except PodRequestError:
            continue
        if resp.status == 200:
            return dict(resp.json()["keypair"])
    return None


# ---- the job ---------------------------------------------------------------------
@register(KEYPAIR_SYNC)
async def sync_keypair(ctx: JobContext) -> None:
    """Job: every pod in service holds the source pod's copy of the keypair (or
    none, if the source has none)."""
    deps, payload = ctx.deps, ctx.payload
    user_id, name, source = str(payload["user_id"]), str(payload["name"]), payload["source"]
    headers = {"X-Auth-Token": await deps.service_auth.token(),
               "Content-Type": "application/json",
               "OpenStack-API-Version": f"compute {MICROVERSION}"}
    path = f"/os-keypairs/{quote(name, safe='')}?user_id={quote(user_id, safe='')}"
    resp = await _call(deps.pods, source, "GET", path, headers)
    if resp.status not in (200, 404):
        raise KeypairSyncIncomplete(f"{source}: GET keypair -> {resp.status}")
    want = resp.json()["keypair"] if resp.status == 200 else None
    failures = await replicate.each_other_pod(
        deps.db, source,
        lambda region: _converge(deps.pods, region, path, headers, want, user_id))
    if failures:
        raise KeypairSyncIncomplete("; ".join(failures))


async def _converge(pods: PodClients, region: str, path: str, headers: dict[str, str],
                    want: dict[str, Any] | None, user_id: str) -> None:
    have = await _call(pods, region, "GET", path, headers)
    if have.status not in (200, 404):
        raise KeypairSyncIncomplete(f"GET -> {have.status}")
    current = have.json()["keypair"] if have.status == 200 else None
    if current is not None and (want is None or
                                current.get("public_key") != want.get("public_key")):
        gone = await _call(pods, region, "DELETE", path, headers)
        if gone.status not in (202, 204, 404):
            raise KeypairSyncIncomplete(f"DELETE -> {gone.status}")
        current = None
    if want is not None and current is None:
        made = await _call(pods, region, "POST", "/os-keypairs", headers,
                           import_body(want, user_id))
        if made.status not in (200, 201):
            raise KeypairSyncIncomplete(f"POST -> {made.status} {made.body[:200]!r}")
