"""The policy enforcer, built once per process from the defaults in code."""

from __future__ import annotations

from typing import Any

from oslo_config import cfg
from oslo_policy import opts as policy_opts
from oslo_policy import policy

from tricircle import faults, policies
from tricircle.context import RequestContext


def build_enforcer(conf: cfg.ConfigOpts) -> policy.Enforcer:
    """An Enforcer with every default registered; policy.yaml overrides apply."""
    policy_opts.set_defaults(conf, policy_file="policy.yaml")
    enforcer = policy.Enforcer(conf)
    enforcer.register_defaults(policies.list_rules())
    return enforcer


def authorize(enforcer: policy.Enforcer, ctx: RequestContext, rule: str,
              target: dict[str, Any] | None = None) -> None:
    """Raise faults.Forbidden unless `ctx` may perform `rule` on `target`."""
    target = target if target is not None else {"project_id": ctx.project_id}
    if not enforcer.authorize(rule, target, ctx.policy_creds(), do_raise=False):
        raise faults.Forbidden(action=rule)
