"""A minimal OpenStack REST client on urllib (the lab command uses only the stdlib)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from .settings import PASSWORD


class ApiError(RuntimeError):
    """An API call answered with an HTTP error; keeps status and body."""

    def __init__(self, method: str, url: str, status: int, body: str) -> None:
        super().__init__(f"{method} {url} -> {status}: {body[:300]}")
        self.status = status


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None,
         timeout: float = 30.0, raw: bytes | None = None) -> tuple[int, dict[str, str], Any]:
    """Send one request; return (status, headers, decoded JSON or None). Raises ApiError."""
    hdrs = {"Accept": "application/json", **(headers or {})}
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            payload = resp.read()
            status, rhdrs = resp.status, dict(resp.headers)
    except urllib.error.HTTPError as exc:
        raise ApiError(method, url, exc.code, exc.read().decode(errors="replace")) from exc
    decoded = json.loads(payload) if payload.strip().startswith((b"{", b"[")) else None
    return status, rhdrs, decoded


def answers(url: str, timeout: float = 1.0) -> bool:
    """Return True if ``url`` gives any HTTP answer (even 4xx/5xx) within ``timeout``."""
    try:
        http("GET", url, timeout=timeout)
    except ApiError:
        return True
    except (OSError, ValueError):
        return False
    return True


class Session:
    """A token-scoped session on one project, reused for every call."""

    def __init__(self, keystone_url: str, user: str = "admin", project: str = "admin",
                 password: str = PASSWORD, timeout: float = 30.0) -> None:
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
        _, headers, data = http("POST", f"{keystone_url}/auth/tokens", body, timeout=timeout)
        self.token = headers["X-Subject-Token"]
        self.catalog = data["token"]["catalog"]
        self.project_id: str = data["token"]["project"]["id"]
        self.keystone_url = keystone_url

    def call(self, method: str, url: str, body: Any = None, timeout: float = 30.0,
             headers: dict[str, str] | None = None, raw: bytes | None = None) -> Any:
        hdrs = {"X-Auth-Token": self.token, **(headers or {})}
        return http(method, url, body, hdrs, timeout, raw)[2]

    def get(self, url: str, timeout: float = 30.0) -> Any:
        return self.call("GET", url, timeout=timeout)

    def post(self, url: str, body: Any) -> Any:
        return self.call("POST", url, body)
