"""The Glance v2 calls the gateway makes on its own (service account): read an
image, create a replica with a given id, stream data, delete, members.

Every function raises `PodRequestError` when the pod cannot be reached and
`GlanceRefused` when it answers an unexpected status.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from tricircle.clients.pod import PodClient, PodRequestError, PodResponse

SERVICE = "image"
PATCH_TYPE = "application/openstack-images-v2.1-json-patch"
# Fields Glance sets itself (or that name where the data lives): never copied.
READ_ONLY = frozenset({
    "status", "created_at", "updated_at", "checksum", "os_hash_algo", "os_hash_value", "size",
    "virtual_size", "file", "self", "schema", "direct_url", "locations", "stores", "id"})
# Replicas are hidden from the pod's own default lists (the top list shows each
# image once, from its home) and never protected (the gateway must delete them).
REPLICA_FIXED = {"os_hidden": True, "protected": False}


class GlanceRefused(PodRequestError):
    """The pod's Glance answered a status the caller cannot work with."""

    def __init__(self, region: str, what: str, resp: PodResponse) -> None:
        self.status = resp.status
        super().__init__(region, f"{what}: {resp.status} {resp.body[:200]!r}")


def headers(token: str, **extra: str) -> dict[str, str]:
    return {"X-Auth-Token": token, **extra}


async def show(client: PodClient, token: str, image_id: str) -> dict[str, Any] | None:
    """The image record, or None when the pod has no such image."""
    resp = await client.request(SERVICE, "GET", f"/v2/images/{image_id}",
                                headers=headers(token))
    if resp.status == 404:
        return None
    if resp.status != 200:
        raise GlanceRefused(client.region, f"GET image {image_id}", resp)
    return dict(resp.json())


def replica_body(source: dict[str, Any]) -> dict[str, Any]:
    """The create body of a replica of `source` (same id, owner, visibility,
    formats, tags and properties)."""
    body = {k: v for k, v in source.items()
            if k not in READ_ONLY and not k.startswith("os_glance") and v is not None}
    body.update(REPLICA_FIXED, id=source["id"])
    return body


async def create(client: PodClient, token: str, body: dict[str, Any]) -> dict[str, Any]:
    resp = await client.request(SERVICE, "POST", "/v2/images", body=json.dumps(body).encode(),
                                headers=headers(token, **{"Content-Type": "application/json"}))
    if resp.status != 201:
        raise GlanceRefused(client.region, f"create image {body.get('id')}", resp)
    return dict(resp.json())


async def delete(client: PodClient, token: str, image_id: str) -> bool:
    """Delete the image (unprotecting it first if needed); False if it was gone."""
    resp = await client.request(SERVICE, "DELETE", f"/v2/images/{image_id}",
                                headers=headers(token))
    if resp.status == 403 and b"protected" in resp.body.lower():
        await patch(client, token, image_id, [{"op": "replace", "path": "/protected",
                                              "value": False}])
        resp = await client.request(SERVICE, "DELETE", f"/v2/images/{image_id}",
                                    headers=headers(token))
    if resp.status == 404:
        return False
    if resp.status != 204:
        raise GlanceRefused(client.region, f"delete image {image_id}", resp)
    return True


async def patch(client: PodClient, token: str, image_id: str,
                ops: list[dict[str, Any]]) -> None:
    if not ops:
        return
    resp = await client.request(SERVICE, "PATCH", f"/v2/images/{image_id}",
                                body=json.dumps(ops).encode(),
                                headers=headers(token, **{"Content-Type": PATCH_TYPE}))
    if resp.status != 200:
        raise GlanceRefused(client.region, f"update image {image_id}", resp)


async def members(client: PodClient, token: str, image_id: str) -> dict[str, str]:
    """member id -> status; empty for an image that cannot have members."""
    resp = await client.request(SERVICE, "GET", f"/v2/images/{image_id}/members",
                                headers=headers(token))
    if resp.status != 200:
        return {}
    return {m["member_id"]: m["status"] for m in (resp.json() or {}).get("members", [])}


async def set_member(client: PodClient, token: str, image_id: str, member: str,
                     status: str | None) -> None:
    """Add, update the status of, or (status None) remove a member."""
    base = f"/v2/images/{image_id}/members"
    json_ct = headers(token, **{"Content-Type": "application/json"})
    if status is None:
        await client.request(SERVICE, "DELETE", f"{base}/{member}", headers=headers(token))
        return
    await client.request(SERVICE, "POST", base, headers=json_ct,
                         body=json.dumps({"member": member}).encode())
    resp = await client.request(SERVICE, "PUT", f"{base}/{member}", headers=json_ct,
                                body=json.dumps({"status": status}).encode())
    if resp.status != 200:
        raise GlanceRefused(client.region, f"member {member} of {image_id}", resp)


async def upload(client: PodClient, token: str, image_id: str,
                 chunks: AsyncIterator[bytes], *, timeout: float) -> None:
    """PUT the image data from `chunks` (streamed, never held whole)."""
    async with client.stream(SERVICE, "PUT", f"/v2/images/{image_id}/file", body=chunks,
                             timeout=timeout,
                             headers=headers(token, **{
                                 "Content-Type": "application/octet-stream"})) as resp:
        body = await resp.read()
        if resp.status != 204:
            raise GlanceRefused(client.region, f"upload image {image_id}",
                                PodResponse(resp.status, resp.headers, body))


async def import_methods(client: PodClient, token: str) -> frozenset[str]:
    """The import methods the pod's Glance offers (GET /v2/info/import); empty
    when it does not answer that call (an old Glance, or one without imports)."""
    resp = await client.request(SERVICE, "GET", "/v2/info/import", headers=headers(token))
    if resp.status != 200:
        return frozenset()
    try:
        value = ((resp.json() or {}).get("import-methods") or {}).get("value")
    except (ValueError, AttributeError):
        return frozenset()
    return frozenset(v for v in value if isinstance(v, str)) if isinstance(value, list) \
        else frozenset()


async def start_import(client: PodClient, token: str, image_id: str,
                       method: dict[str, Any]) -> None:
    """POST /v2/images/{id}/import with `method` (Glance answers 202 and imports
    in the background: poll the image)."""
    resp = await client.request(SERVICE, "POST", f"/v2/images/{image_id}/import",
                                body=json.dumps({"method": method}).encode(),
                                headers=headers(token, **{"Content-Type": "application/json"}))
    if resp.status != 202:
        raise GlanceRefused(client.region, f"import {method.get('name')} of {image_id}", resp)
