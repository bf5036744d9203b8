"""What every admin (/v1.0) handler shares: policy, body and query validation,
paging links, JSON rendering. Errors are raised as faults (rendered API-WG style
by the error middleware)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from tricircle import faults, policy
from tricircle.api import keys
from tricircle.context import RequestContext
from tricircle.db.engine import Database
from tricircle.routing.translate import top_base

MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Field:
    """One accepted body field: its JSON type, and whether it is required."""

    type: type | tuple[type, ...] = str
    required: bool = False
    choices: tuple[str, ...] | None = None
    max_length: int = 255
    nullable: bool = False


Schema = Mapping[str, Field]


def ctx(request: web.Request) -> RequestContext:
    return request[keys.CTX]  # type: ignore[no-any-return]


def db(request: web.Request) -> Database:
    return request.app[keys.DB]


def authorize(request: web.Request, rule: str, target: dict[str, Any] | None = None) -> None:
    """Raise faults.Forbidden unless the caller may perform `rule`."""
    policy.authorize(request.app[keys.POLICY], ctx(request), rule, target)


def project_scope(request: web.Request, all_projects_rule: str) -> str | None:
    """None when the caller may see every project (`all_projects_rule`), else its project."""
    context = ctx(request)
    enforcer = request.app[keys.POLICY]
    if enforcer.authorize(all_projects_rule, {"project_id": context.project_id},
                          context.policy_creds(), do_raise=False):
        return None
    return context.project_id or ""


async def read_body(request: web.Request, wrapper: str, schema: Schema, *,
                    partial: bool = False) -> dict[str, Any]:
    """The validated object of a `{"<wrapper>": {...}}` body.

    Raises faults.MalformedBody (not JSON) and faults.BadRequest (wrong shape,
    unknown field, missing required field, wrong type or value, empty update).
    """
    try:
        body = json.loads(await request.read() or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise faults.MalformedBody("Malformed request body: %(e)s", e=str(exc)) from exc
    if not isinstance(body, dict) or set(body) != {wrapper} or not isinstance(body[wrapper],
                                                                             dict):
        raise faults.BadRequest('Request body must be {"%(w)s": {...}}.', w=wrapper)
    obj: dict[str, Any] = body[wrapper]
    unknown = sorted(set(obj) - set(schema))
    if unknown:
        raise faults.BadRequest("Unknown field(s): %(f)s.", f=", ".join(unknown))
    missing = sorted(k for k, f in schema.items() if f.required and k not in obj)
    if missing and not partial:
        raise faults.BadRequest("Missing required field(s): %(f)s.", f=", ".join(missing))
    if partial and not obj:
        raise faults.BadRequest("Nothing to update.")
    for name, value in obj.items():
        check_field(name, value, schema[name])
    return obj


def check_field(name: str, value: Any, field: Field) -> None:
    """Raise faults.BadRequest unless `value` fits `field`."""
    if value is None:
        if not field.nullable:
            raise faults.BadRequest("Field %(n)s must not be null.", n=name)
        return
    wrong_type = isinstance(value, bool) and field.type is not bool
    if wrong_type or not isinstance(value, field.type):
        expected = getattr(field.type, "__name__", "value")
        raise faults.BadRequest("Field %(n)s must be a %(t)s.", n=name,
                                t={"str": "string", "dict": "object"}.get(expected, expected))
    if isinstance(value, str):
        if field.required and not value.strip():
            raise faults.BadRequest("Field %(n)s must not be empty.", n=name)
        if len(value) > field.max_length:
            raise faults.BadRequest("Field %(n)s is longer than %(m)d characters.", n=name,
                                    m=field.max_length)
    if field.choices is not None and value not in field.choices:
        raise faults.BadRequest("Field %(n)s must be one of %(c)s.", n=name,
                                c=", ".join(field.choices))


def query(request: web.Request, allowed: Iterable[str]) -> dict[str, str]:
    """The query parameters among `allowed` (marker and limit excluded).
    Raises faults.BadRequest for any other parameter."""
    names = set(allowed) | {"marker", "limit"}
    unknown = sorted(set(request.query) - names)
    if unknown:
        raise faults.BadRequest("Unknown query parameter(s): %(p)s.", p=", ".join(unknown))
    return {k: v for k, v in request.query.items() if k not in ("marker", "limit")}


def limit_of(request: web.Request) -> int:
    """`limit` from the query (default and maximum 1000). Raises faults.BadRequest."""
    raw = request.query.get("limit")
    if raw is None:
        return MAX_LIMIT
    try:
        value = int(raw)
    except ValueError as exc:
        raise faults.BadRequest("limit must be an integer.") from exc
    if value < 1:
        raise faults.BadRequest("limit must be positive.")
    return min(value, MAX_LIMIT)


def next_links(request: web.Request, items: list[Any], limit: int) -> list[dict[str, str]]:
    """A `next` link (marker = the last item's id) when the page is full."""
    if not items or len(items) < limit:
        return []
    path = request.rel_url.update_query(marker=str(items[-1].id), limit=str(limit))
    return [{"rel": "next", "href": top_base(request, "") + str(path)}]


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def respond(body: Any, status: int = 200) -> web.Response:
    """A JSON response; dataclasses and datetimes (UTC, ISO 8601) are rendered."""
    return web.json_response(body, status=status,
                             dumps=lambda obj: json.dumps(obj, default=_default))


def no_content() -> web.Response:
    return web.Response(status=204)
