"""oslo.config groups, one module each; `register_all` binds them to a ConfigOpts.

Config is passed in (never read from a module global) so tests build their own.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from oslo_config import cfg

from tricircle.conf import (
    api,
    database,
    fanout,
    images,
    jobs,
    keystone,
    networking,
    pods,
    scheduler,
)

_MODULES = (api, database, keystone, pods, fanout, scheduler, jobs, networking, images)
DEFAULT_CONFIG_FILE = "/etc/tricircle/tricircle.conf"


def register_all(conf: cfg.ConfigOpts) -> cfg.ConfigOpts:
    """Register every option group on `conf` and return it."""
    for module in _MODULES:
        module.register_opts(conf)
    return conf


def new_config(args: Sequence[str] = (),
               config_files: Sequence[str] | None = None) -> cfg.ConfigOpts:
    """Return a fresh, registered and parsed ConfigOpts.

    Without `config_files`, /etc/tricircle/tricircle.conf is read when it exists.
    """
    conf = register_all(cfg.ConfigOpts())
    if config_files is None:
        config_files = [DEFAULT_CONFIG_FILE] if os.path.exists(DEFAULT_CONFIG_FILE) else []
    conf(list(args), project="tricircle", default_config_files=list(config_files),
         validate_default_values=True)
    return conf


def list_opts() -> list[tuple[str | None, list[cfg.Opt]]]:
    """Entry point for oslo-config-generator."""
    out: list[tuple[str | None, list[cfg.Opt]]] = []
    for module in _MODULES:
        out.extend(module.list_opts())
    return out
