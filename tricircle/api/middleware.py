"""The fixed layer around every handler: one aiohttp middleware, `gateway`.

It does, in this order, and why:
1. errors: assigns the request id and the surface's error dialect first, so
   anything raised below, including authentication failures and unknown URLs,
   is rendered the way that surface's real service would render it.
2. authentication: validates the token and builds the RequestContext; version
   documents (handlers marked `public`) are served without a token, like Nova.
   It reads the `public` mark of the route's handler itself.
3. `latest` pinned: a compute request asking for microversion ``latest`` asks
   for the gateway's maximum instead, before any handler reads or forwards the
   headers (`tricircle.proxy.latest`); other surfaces never look at the headers
   (the dialect found in 1 says which surface a request is for). After 2, so an
   unauthenticated request never makes the gateway resolve its version range.
Body size is enforced by aiohttp itself (`client_max_size`), translated in 1.

One middleware instead of three layers: each aiohttp middleware layer costs a
coroutine, a `functools.partial` and an await per request, on every proxied call.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from tricircle import faults
from tricircle.api import keys
from tricircle.context import RequestContext, new_request_id
from tricircle.identity.tokens import KeystoneUnavailable
from tricircle.proxy import latest
from tricircle.proxy.service import compute_core

LOG = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_PREFIX_DIALECTS = (
    ("/compute", faults.Dialect.COMPUTE),
    ("/volume", faults.Dialect.VOLUME),
    ("/image", faults.Dialect.IMAGE),
    ("/network", faults.Dialect.NETWORK),
)


def dialect_for(path: str) -> faults.Dialect:
    for prefix, dialect in _PREFIX_DIALECTS:
        if path.startswith(prefix):
            return dialect
    return faults.Dialect.ADMIN


def public(handler: Handler) -> Handler:
    """Mark a handler as served without a token (version documents)."""
    handler.public = True  # type: ignore[attr-defined]
    return handler


def _wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@web.middleware
async def gateway(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request id and dialect, authentication, ``latest`` pinned; errors rendered."""
    incoming = request.headers.get("X-OpenStack-Request-ID", "")
    request_id = new_request_id()
    request[keys.DIALECT] = dialect = dialect_for(request.path)
    request[keys.REQUEST_ID] = request_id
    request[keys.GLOBAL_REQUEST_ID] = incoming if incoming.startswith("req-") else None
    try:
        response = await _authenticated(request, handler, dialect, request_id)
    except faults.TricircleError as exc:
        response = faults.render(exc, dialect, request_id, _wants_json(request))
    except web.HTTPRequestEntityTooLarge:
        response = faults.render(faults.RequestTooLarge(), dialect, request_id,
                                 _wants_json(request))
    except web.HTTPMethodNotAllowed as exc:
        err = faults.MethodNotAllowed()
        err.headers["Allow"] = ", ".join(sorted(exc.allowed_methods))
        response = faults.render(err, dialect, request_id, _wants_json(request))
    except web.HTTPNotFound:
        response = faults.render(faults.NotFound(), dialect, request_id, _wants_json(request))
    except web.HTTPException:
        raise
    except Exception:
        LOG.exception("unexpected error in %s %s [%s]", request.method, request.path, request_id)
        response = faults.render(faults.TricircleError(), dialect, request_id,
                                 _wants_json(request))
    if not response.prepared and "X-OpenStack-Request-ID" not in response.headers:
        response.headers["X-OpenStack-Request-ID"] = request_id
    return response


async def _authenticated(request: web.Request, handler: Handler, dialect: faults.Dialect,
                         request_id: str) -> web.StreamResponse:
    if getattr(_unwrap(handler), "public", False):
        return await handler(await _pin_latest(request, dialect))
    token = request.headers.get("X-Auth-Token")
    app = request.app
    info = None
    if token:
        try:
            info = await app[keys.TOKENS].validate(token)
        except KeystoneUnavailable as exc:
            LOG.error("token validation failed: keystone unavailable: %s", exc)
            raise faults.ServiceUnavailable("Identity service unavailable.") from exc
    if info is None:
        return faults.render_unauthorized(dialect, request_id,
                                          str(app[keys.CONF].keystone.auth_url))
    request = await _pin_latest(request, dialect)
    request[keys.CTX] = RequestContext(
        user_id=info.user_id, project_id=info.project_id, roles=info.roles,
        auth_token=token, expires_at=info.expires_at, request_id=request_id,
        global_request_id=request[keys.GLOBAL_REQUEST_ID], user_name=info.user_name,
        project_name=info.project_name, user_domain_id=info.user_domain_id,
        project_domain_id=info.project_domain_id, system_scope=info.system_scope)
    return await handler(request)


async def _pin_latest(request: web.Request, dialect: faults.Dialect) -> web.Request:
    """The request itself, or (compute, ``latest`` asked) a clone asking for the
    gateway's maximum microversion; the clone carries the request's state."""
    if dialect is not faults.Dialect.COMPUTE or not latest.asks_latest(request.headers):
        return request
    _low, high = await compute_core(request.app).versions.compute()
    return request.clone(headers=latest.pinned(request.headers, f"{high[0]}.{high[1]}"))


def _unwrap(handler: Handler) -> Handler:
    # aiohttp wraps handlers in functools.partial for sub-apps/middlewares
    while hasattr(handler, "func"):
        handler = handler.func  # type: ignore[attr-defined]
    return handler
