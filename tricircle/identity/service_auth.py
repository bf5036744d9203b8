"""The gateway's own service account: a token from keystoneauth1 and the catalog.

The token is fetched in a thread (keystoneauth1 is synchronous) and reused until
shortly before it expires; the catalog it carries tells each pod's endpoints.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from keystoneauth1 import session as ks_session
from keystoneauth1.access import AccessInfo
from keystoneauth1.identity import v3
from oslo_config import cfg

LOG = logging.getLogger(__name__)
_REFRESH_MARGIN = timedelta(minutes=5)
# Catalog service types the gateway forwards to, per pod.
POD_SERVICE_TYPES = ("compute", "placement", "network", "image", "volumev3", "block-storage")


class ServiceAuth:
    """Service-account token and catalog. Safe to share by every task of a process."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self._conf = conf
        self._access: AccessInfo | None = None
        self._lock = asyncio.Lock()

    @property
    def auth_url(self) -> str:
        return str(self._conf.keystone.auth_url)

    async def access(self) -> AccessInfo:
        """Return a valid AccessInfo, re-authenticating when close to expiry.

        Raises keystoneauth1 exceptions when Keystone refuses or is unreachable.
        """
        if self._fresh():
            assert self._access is not None
            return self._access
        async with self._lock:
            if not self._fresh():
                self._access = await asyncio.get_running_loop().run_in_executor(
                    None, self._authenticate)
                LOG.info("service token obtained for %s", self._conf.keystone.username)
        assert self._access is not None
        return self._access

    async def token(self) -> str:
        return str((await self.access()).auth_token)

    def invalidate(self) -> None:
        self._access = None

    async def endpoints(self, region: str) -> dict[str, str]:
        """Service type -> URL of `region`'s endpoints (configured interface)."""
        catalog = (await self.access()).service_catalog
        out: dict[str, str] = {}
        iface = self._conf.keystone.interface
        for stype in POD_SERVICE_TYPES:
            urls = catalog.get_urls(service_type=stype, interface=iface, region_name=region)
            if urls and urls[0]:
                out[stype] = str(urls[0]).rstrip("/")
        return out

    async def regions(self) -> list[str]:
        """Every region that has a compute endpoint in the catalog."""
        catalog = (await self.access()).service_catalog
        found: set[str] = set()
        for service in catalog.normalize_catalog():
            for ep in service.get("endpoints", []):
                if ep.get("region_id") or ep.get("region"):
                    found.add(ep.get("region_id") or ep.get("region"))
        return sorted(found)

    def _fresh(self) -> bool:
        if self._access is None:
            return False
        expires = self._access.expires
        return expires is not None and expires - _REFRESH_MARGIN > datetime.now(UTC)

    def _authenticate(self) -> AccessInfo:
        k = self._conf.keystone
        auth = v3.Password(auth_url=str(k.auth_url), username=k.username, password=k.password,
                           project_name=k.project_name, user_domain_name=k.user_domain_name,
                           project_domain_name=k.project_domain_name)
        return auth.get_access(ks_session.Session(timeout=30))

    def keystone_session(self) -> ks_session.Session:
        """A synchronous keystoneauth1 session (for the command line tools)."""
        k = self._conf.keystone
        auth = v3.Password(auth_url=str(k.auth_url), username=k.username, password=k.password,
                           project_name=k.project_name, user_domain_name=k.user_domain_name,
                           project_domain_name=k.project_domain_name)
        return ks_session.Session(auth=auth, timeout=30)
