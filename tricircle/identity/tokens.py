"""Validate user tokens against Keystone, with a bounded cache.

A cached entry lives at most `token_cache_ttl` seconds and never past the
token's own expiry. Concurrent requests with the same unknown token share one
validation call. An invalid token is remembered briefly (negative cache) so a
client retrying in a loop does not hammer Keystone.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp

from tricircle.identity.service_auth import ServiceAuth

_NEGATIVE_TTL = 5.0


@dataclass(frozen=True, slots=True)
class TokenInfo:
    user_id: str
    user_name: str
    user_domain_id: str | None
    project_id: str | None
    project_name: str | None
    project_domain_id: str | None
    roles: tuple[str, ...]
    expires_at: datetime
    system_scope: str | None = None


class KeystoneUnavailable(Exception):
    """Keystone could not be reached or answered 5xx."""


class TokenValidator:
    def __init__(self, service_auth: ServiceAuth, http: aiohttp.ClientSession, *,
                 ttl: float = 300, max_size: int = 10000) -> None:
        self._service = service_auth
        self._http = http
        self._ttl = ttl
        self._max = max_size
        self._cache: OrderedDict[str, tuple[float, TokenInfo | None]] = OrderedDict()
        self._pending: dict[str, asyncio.Future[TokenInfo | None]] = {}

    async def validate(self, token: str) -> TokenInfo | None:
        """TokenInfo of a valid token, None for an invalid or expired one.

        Raises KeystoneUnavailable when validation could not be done.
        """
        now = time.monotonic()
        hit = self._cache.get(token)
        if hit is not None and hit[0] > now:
            return hit[1]
        pending = self._pending.get(token)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[TokenInfo | None] = asyncio.get_running_loop().create_future()
        self._pending[token] = future
        try:
            info = await self._fetch(token)
            self._remember(token, info)
            future.set_result(info)
            return info
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        finally:
            del self._pending[token]

    def forget(self, token: str) -> None:
        self._cache.pop(token, None)

    def _remember(self, token: str, info: TokenInfo | None) -> None:
        now = time.monotonic()
        if info is None:
            deadline = now + _NEGATIVE_TTL
        else:
            remaining = (info.expires_at - datetime.now(UTC)).total_seconds()
            deadline = now + max(0.0, min(self._ttl, remaining))
        self._cache[token] = (deadline, info)
        self._cache.move_to_end(token)
        while len(self._cache) > self._max:
            self._cache.popitem(last=False)

    async def _fetch(self, token: str, retry: bool = True) -> TokenInfo | None:
        headers = {"X-Auth-Token": await self._service.token(), "X-Subject-Token": token}
        url = self._service.auth_url.rstrip("/") + "/auth/tokens?nocatalog"
        try:
            async with self._http.get(url, headers=headers) as resp:
                if resp.status == 401 and retry:  # our own token expired early
                    self._service.invalidate()
                    return await self._fetch(token, retry=False)
                if resp.status in (401, 403, 404):
                    return None
                if resp.status >= 400:
                    raise KeystoneUnavailable(f"keystone answered {resp.status}")
                body = await resp.json()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise KeystoneUnavailable(str(exc)) from exc
        return parse_token(body["token"])


def parse_token(token: dict) -> TokenInfo | None:
    """TokenInfo from a Keystone v3 token body; None if it already expired."""
    expires = datetime.fromisoformat(token["expires_at"].replace("Z", "+00:00"))
    if expires <= datetime.now(UTC):
        return None
    user = token.get("user", {})
    project = token.get("project") or {}
    system = token.get("system")
    return TokenInfo(
        user_id=user.get("id", ""), user_name=user.get("name", ""),
        user_domain_id=(user.get("domain") or {}).get("id"),
        project_id=project.get("id"), project_name=project.get("name"),
        project_domain_id=(project.get("domain") or {}).get("id"),
        roles=tuple(r["name"] for r in token.get("roles", [])),
        expires_at=expires, system_scope="all" if system and system.get("all") else None)
