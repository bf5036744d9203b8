"""The request context: who is calling, for which project, under which request id."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def new_request_id() -> str:
    """Return an id in the OpenStack form `req-<uuid4>`.

    Request ids are not secrets: a version-4 UUID from the process's PRNG avoids
    the system call `uuid.uuid4()` makes on every request.
    """
    return "req-" + str(uuid.UUID(int=random.getrandbits(128), version=4))


@dataclass(slots=True)
class RequestContext:
    """Identity of one API call, built from a validated Keystone token.

    `auth_token` is forwarded to pods (same Keystone); it is never logged.
    """

    user_id: str | None = None
    project_id: str | None = None
    roles: tuple[str, ...] = ()
    auth_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    request_id: str = field(default_factory=new_request_id)
    global_request_id: str | None = None
    user_name: str | None = None
    project_name: str | None = None
    user_domain_id: str | None = None
    project_domain_id: str | None = None
    system_scope: str | None = None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def policy_creds(self) -> dict[str, Any]:
        """Credentials in the shape oslo.policy rules expect."""
        return {
            "user_id": self.user_id,
            "project_id": self.project_id,
            "roles": list(self.roles),
            "is_admin": self.is_admin,
            "system_scope": self.system_scope,
            "user_domain_id": self.user_domain_id,
            "project_domain_id": self.project_domain_id,
        }

    def pod_headers(self) -> dict[str, str]:
        """Headers that carry this identity to a pod: the same token, the request id
        as the global request id so pod logs can be joined with ours."""
        headers = {"X-OpenStack-Request-ID": self.global_request_id or self.request_id}
        if self.auth_token:
            headers["X-Auth-Token"] = self.auth_token
        return headers


def admin_context(token: str | None = None, request_id: str | None = None) -> RequestContext:
    """A context for the gateway's own work (service account)."""
    return RequestContext(user_id="tricircle", project_id=None, roles=("admin",),
                          auth_token=token, request_id=request_id or new_request_id())
