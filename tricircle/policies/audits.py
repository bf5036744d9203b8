"""Policies of the /v1.0/audits admin API (the networking audit)."""

from oslo_policy import policy

from tricircle.policies import base

_P = "tricircle:audits:%s"
RULES = [
    policy.DocumentedRuleDefault(
        _P % action, base.ADMIN, description,
        [{"method": m, "path": p} for m, p in ops])
    for action, description, ops in (
        ("list", "List audit runs with their reports.", [("GET", "/v1.0/audits")]),
        ("show", "Show one audit run and its report.", [("GET", "/v1.0/audits/{id}")]),
        ("create", "Run the networking audit now.", [("POST", "/v1.0/audits")]),
    )
]


def list_rules() -> list[policy.RuleDefault]:
    return list(RULES)
