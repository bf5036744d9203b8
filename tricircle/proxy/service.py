"""The compute-core domain service, built once per application on first use.

Holds the pieces every compute handler needs (route locator and its cache, the
forwarder, the scheduler, the server create protocol, the version range), so
handlers stay thin: look up, call one method, return its answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from tricircle.api import keys
from tricircle.proxy.create import PlacedCreate
from tricircle.proxy.forward import Forwarder
from tricircle.proxy.locate import Locator
from tricircle.proxy.versions import VersionRange
from tricircle.resources import COMPUTE, SERVER
from tricircle.scheduler.service import Scheduler
from tricircle.volumes import placement

SERVICE_NAME = "compute-core"


@dataclass
class ComputeCore:
    locator: Locator
    forwarder: Forwarder
    scheduler: Scheduler
    servers: PlacedCreate
    versions: VersionRange


def build(app: web.Application) -> ComputeCore:
    conf, db, pods = app[keys.CONF], app[keys.DB], app[keys.PODS]
    locator = Locator(db)
    forwarder = Forwarder(pods, COMPUTE, public_url=conf.api.public_url)
    scheduler = Scheduler(conf, db, pods, app[keys.SERVICE_AUTH])
    # a server booting from (or attaching at boot) top volumes goes to their pod
    servers = PlacedCreate(SERVER, db, scheduler, forwarder, locator,
                           pod_timeout=conf.pods.request_timeout,
                           service_auth=app[keys.SERVICE_AUTH], pods=pods,
                           pin=placement.server_pin(locator))
    return ComputeCore(locator, forwarder, scheduler, servers, VersionRange(locator, pods))


def compute_core(app: web.Application) -> ComputeCore:
    """The application's ComputeCore (created on first use; needs the app started)."""
    services = app[keys.SERVICES]
    core = services.get(SERVICE_NAME)
    if core is None:
        core = services[SERVICE_NAME] = build(app)
    return core  # type: ignore[no-any-return]
