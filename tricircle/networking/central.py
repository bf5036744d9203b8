"""The client of central Neutron (a stock neutron-server, not a pod).

Central Neutron is reached through the app's `PodClients` under the pseudo
region `CENTRAL` with the pinned endpoint ``{"network": central_neutron_url}``:
one pooled session, closed with the other clients when the app stops. The URL
is read on first use, so a gateway without networking starts and answers 503.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from oslo_config import cfg

from tricircle import faults
from tricircle.api import keys
from tricircle.clients.pod import PodClients, PodRequestError, PodResponse
from tricircle.proxy.cache import TTLCache

LOG = logging.getLogger(__name__)
SERVICE_NAME = "central-neutron"
# Not a Keystone region: the key of central Neutron's client in PodClients.
CENTRAL = "tricircle-central-neutron"


class CentralNotConfigured(faults.ServiceUnavailable):
    code = "tricircle.central_neutron_not_configured"
    message = ("Central Neutron is not configured: set [networking] central_neutron_url "
               "in the gateway's configuration.")


class CentralUnavailable(faults.ServiceUnavailable):
    code = "tricircle.central_neutron_unavailable"
    message = "Central Neutron is unavailable."


class CentralNeutron:
    """Calls to central Neutron. `request` raises CentralNotConfigured or
    CentralUnavailable (both 503); any HTTP answer is returned as is."""

    def __init__(self, conf: cfg.ConfigOpts, pods: PodClients) -> None:
        self._conf = conf
        self._pods = pods
        self._url: str | None = None

    @property
    def url(self) -> str:
        """The endpoint (no trailing slash). Raises CentralNotConfigured."""
        if self._url is None:
            configured = self._conf.networking.central_neutron_url
            if not configured:
                raise CentralNotConfigured()
            self._url = str(configured).rstrip("/")
            self._pods.set_endpoints(CENTRAL, {"network": self._url})
        return self._url

    async def request(self, method: str, path: str, *,
                      headers: Mapping[str, str] | None = None,
                      body: bytes | None = None) -> PodResponse:
        """Send `method` `path` (raw path and query, relative to the endpoint)."""
        _ = self.url
        try:
            client = await self._pods.get(CENTRAL)
            return await client.request("network", method, path, headers=headers, body=body)
        except PodRequestError as exc:
            LOG.warning("central Neutron %s %s failed: %s", method, path, exc)
            raise CentralUnavailable() from exc

    async def call(self, method: str, path: str, token: str, *, json_body: Any = None,
                   request_id: str | None = None) -> PodResponse:
        """A JSON call of the gateway's own (service or user token)."""
        headers = {"X-Auth-Token": token, "Accept": "application/json"}
        if request_id:
            headers["X-OpenStack-Request-ID"] = request_id
        body = None
        if json_body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(json_body).encode()
        return await self.request(method, path, headers=headers, body=body)


def central(app: web.Application) -> CentralNeutron:
    """The application's central Neutron client (created on first use)."""
    services = app[keys.SERVICES]
    client = services.get(SERVICE_NAME)
    if client is None:
        client = services[SERVICE_NAME] = CentralNeutron(app[keys.CONF], app[keys.PODS])
    return client  # type: ignore[no-any-return]


# availability_zone_hints of top networks read lately (network id -> hints), so a
# boot on a network does not read them from central Neutron every time. Hints are
# fixed when a network is made; only removing a ``tricircle-az:`` tag changes them,
# which through this gateway forgets the entry at once (`networking.sync.after_answer`)
# and elsewhere within the ttl.
HINTS_TTL, HINTS_MAX = 30.0, 4096


def hints_cache(app: web.Application) -> TTLCache[tuple[str, ...]]:
    """The application's cache of network hints (created on first use)."""
    services = app[keys.SERVICES]
    cache = services.get("network-hints")
    if cache is None:
        cache = services["network-hints"] = TTLCache(ttl=HINTS_TTL, max_size=HINTS_MAX)
    return cache  # type: ignore[no-any-return]
