"""Errors with meaning, and the one place that renders them per wire dialect.

Domain code raises `TricircleError` subclasses (a message template and a stable
code, no HTTP objects). `render` turns one into the body and headers the surface's
real service would send:

* compute and volume: ``{"itemNotFound": {"code": 404, "message": ...}}``
* network: ``{"NeutronError": {"type": ..., "message": ..., "detail": ""}}``
* image: Glance's webob text/html page (JSON when the client asks for it)
* admin (/v1.0): API-WG ``{"errors": [{"status", "code", "title", "detail", "request_id"}]}``
* identity (keystonemiddleware 401): ``{"error": {"code", "title", "message"}}``
"""

from __future__ import annotations

import enum
import html
import json
from http import HTTPStatus
from typing import Any

from aiohttp import web


class Dialect(enum.Enum):
    COMPUTE = "compute"
    VOLUME = "volume"
    NETWORK = "network"
    IMAGE = "image"
    ADMIN = "admin"


class TricircleError(Exception):
    """Base error. `status` is the HTTP status it maps to; `code` a stable name."""

    status = 500
    code = "tricircle.internal"
    message = "An unexpected error occurred."
    # Neutron's exception type name for this error, when rendered in its dialect.
    neutron_type = "HTTPInternalServerError"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        template = message if message is not None else self.message
        try:
            self.text = template % kwargs if kwargs else template
        except (KeyError, TypeError, ValueError):
            self.text = template
        self.kwargs = kwargs
        self.headers: dict[str, str] = {}
        super().__init__(self.text)


class BadRequest(TricircleError):
    status, code, neutron_type = 400, "tricircle.bad_request", "HTTPBadRequest"
    message = "Bad request."


class MalformedBody(BadRequest):
    code, message = "tricircle.malformed_body", "Malformed request body"


class Unauthorized(TricircleError):
    status, code, neutron_type = 401, "tricircle.unauthorized", "HTTPUnauthorized"
    message = "The request you have made requires authentication."


class Forbidden(TricircleError):
    status, code, neutron_type = 403, "tricircle.forbidden", "HTTPForbidden"
    message = "Policy doesn't allow %(action)s to be performed."


class NotFound(TricircleError):
    status, code, neutron_type = 404, "tricircle.not_found", "HTTPNotFound"
    message = "The resource could not be found."


class MethodNotAllowed(TricircleError):
    status, code, neutron_type = 405, "tricircle.method_not_allowed", "HTTPMethodNotAllowed"
    message = "The method is not allowed for the requested URL."


class NotAcceptable(TricircleError):
    status, code, neutron_type = 406, "tricircle.not_acceptable", "HTTPNotAcceptable"
    message = "Version not supported."


class Conflict(TricircleError):
    status, code, neutron_type = 409, "tricircle.conflict", "HTTPConflict"
    message = "Conflict."


class RequestTooLarge(TricircleError):
    status, code, neutron_type = 413, "tricircle.too_large", "HTTPRequestEntityTooLarge"
    message = "Request is too large."


class UnsupportedMediaType(TricircleError):
    status, code, neutron_type = 415, "tricircle.media_type", "HTTPUnsupportedMediaType"
    message = "Unsupported media type."


class ServiceUnavailable(TricircleError):
    status, code, neutron_type = 503, "tricircle.unavailable", "HTTPServiceUnavailable"
    message = "Service unavailable."


class PodUnavailable(ServiceUnavailable):
    code, message = "tricircle.pod_unavailable", "Pod %(pod)s is unavailable."


class NoValidPod(TricircleError):
    """No pod passes the filters: Nova says 'No valid host' the same way (the
    server create itself is accepted by Nova and ends in ERROR; we answer up front)."""

    status, code, neutron_type = 400, "tricircle.no_valid_pod", "HTTPBadRequest"
    message = "No valid host was found. %(reason)s"


# Nova/Cinder fault names by status (nova/api/openstack/wsgi.py Fault._fault_names).
_COMPUTE_NAMES = {
    400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound",
    405: "badMethod", 409: "conflictingRequest", 413: "overLimit", 415: "badMediaType",
    429: "overLimit", 501: "notImplemented", 503: "serviceUnavailable",
}


def compute_fault_name(status: int) -> str:
    return _COMPUTE_NAMES.get(status, "computeFault")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def body_for(dialect: Dialect, status: int, message: str, *, code: str = "",
             neutron_type: str = "", request_id: str = "",
             accept_json: bool = False) -> tuple[bytes, str]:
    """Return (body, content type) of an error in `dialect`."""
    if dialect in (Dialect.COMPUTE, Dialect.VOLUME):
        body: Any = {compute_fault_name(status): {"code": status, "message": message}}
        if status == 413 and dialect is Dialect.VOLUME:
            body["overLimit"]["retryAfter"] = "0"
        # Nova's faults say charset=UTF-8, Cinder's do not
        ctype = "application/json" if dialect is Dialect.VOLUME else \
            "application/json; charset=UTF-8"
        return json.dumps(body).encode(), ctype
    if dialect is Dialect.NETWORK:
        body = {"NeutronError": {"type": neutron_type or "HTTP" + _reason(status).replace(" ", ""),
                                 "message": message, "detail": ""}}
        return json.dumps(body).encode(), "application/json"
    if dialect is Dialect.IMAGE:
        return _webob_page(status, message, accept_json)
    body = {"errors": [{"status": status, "code": code or "tricircle.error",
                        "title": _reason(status), "detail": message,
                        "request_id": request_id}]}
    return json.dumps(body).encode(), "application/json"


def _webob_page(status: int, message: str, accept_json: bool) -> tuple[bytes, str]:
    title = _reason(status)
    if accept_json:
        body = {"message": message + "<br /><br />\n\n\n", "code": f"{status} {title}",
                "title": title}
        return json.dumps(body).encode(), "application/json"
    page = (f"<html>\n <head>\n  <title>{status} {title}</title>\n </head>\n <body>\n"
            f"  <h1>{status} {title}</h1>\n  {html.escape(message)}<br /><br />\n\n\n\n"
            " </body>\n</html>")
    return page.encode(), "text/html; charset=UTF-8"


def render(exc: TricircleError, dialect: Dialect, request_id: str,
           accept_json: bool = False) -> web.Response:
    """The HTTP response for `exc` in `dialect`, with the request id headers."""
    body, ctype = body_for(dialect, exc.status, exc.text, code=exc.code,
                           neutron_type=exc.neutron_type, request_id=request_id,
                           accept_json=accept_json)
    headers = {"Content-Type": ctype, "X-OpenStack-Request-ID": request_id}
    if dialect is Dialect.COMPUTE or dialect is Dialect.VOLUME:
        headers["X-Compute-Request-ID"] = request_id
    headers.update(exc.headers)
    return web.Response(status=exc.status, body=body, headers=headers)


def render_unauthorized(dialect: Dialect, request_id: str, auth_url: str) -> web.Response:
    """keystonemiddleware's 401, which every surface returns for a bad token."""
    www = 'Keystone uri="{}"'.format(auth_url.rstrip("/").removesuffix("/v3"))
    if dialect is Dialect.IMAGE:
        body, ctype = _webob_page(401, "This server could not verify that you are authorized "
                                  "to access the document you requested.", False)
        return web.Response(status=401, body=body,
                            headers={"Content-Type": ctype, "WWW-Authenticate": www})
    payload = {"error": {"code": 401, "title": "Unauthorized",
                         "message": "The request you have made requires authentication."}}
    headers = {"Content-Type": "application/json", "WWW-Authenticate": www,
               "X-OpenStack-Request-ID": request_id}
    if dialect is Dialect.COMPUTE:
        headers["X-Compute-Request-ID"] = request_id
    return web.Response(status=401, body=json.dumps(payload).encode(), headers=headers)
