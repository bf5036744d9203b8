"""Typed keys of application and request state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from oslo_config import cfg

from tricircle.context import RequestContext
from tricircle.faults import Dialect

if TYPE_CHECKING:
    from oslo_policy.policy import Enforcer

    from tricircle.clients.pod import PodClients
    from tricircle.db.engine import Database
    from tricircle.identity.service_auth import ServiceAuth
    from tricircle.identity.tokens import TokenValidator

CONF: web.AppKey[cfg.ConfigOpts] = web.AppKey("conf", cfg.ConfigOpts)
DB: web.AppKey[Database] = web.AppKey("db")
SERVICE_AUTH: web.AppKey[ServiceAuth] = web.AppKey("service_auth")
TOKENS: web.AppKey[TokenValidator] = web.AppKey("tokens")
PODS: web.AppKey[PodClients] = web.AppKey("pods")
POLICY: web.AppKey[Enforcer] = web.AppKey("policy")
HTTP: web.AppKey[aiohttp.ClientSession] = web.AppKey("http", aiohttp.ClientSession)
# Domain services built at startup (routing table, scheduler, job engine, ...),
# keyed by name; surfaces register what they need in `app[SERVICES]`.
SERVICES: web.AppKey[dict[str, Any]] = web.AppKey("services", dict)

# Request-scoped values.
CTX: web.RequestKey[RequestContext] = web.RequestKey("context")
DIALECT: web.RequestKey[Dialect] = web.RequestKey("dialect")
REQUEST_ID: web.RequestKey[str] = web.RequestKey("request_id", str)
GLOBAL_REQUEST_ID: web.RequestKey[str | None] = web.RequestKey("global_request_id")
