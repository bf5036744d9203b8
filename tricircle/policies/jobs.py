"""Policies of the /v1.0/jobs admin API."""

from oslo_policy import policy

from tricircle.policies import base

_P = "tricircle:jobs:%s"
RULES = [
    policy.DocumentedRuleDefault(
        _P % action, base.ADMIN, f"{action.capitalize()} jobs.",
        [{"method": m, "path": p} for m, p in ops])
    for action, ops in (
        ("list", [("GET", "/v1.0/jobs")]),
        ("show", [("GET", "/v1.0/jobs/{id}")]),
        ("create", [("POST", "/v1.0/jobs")]),
        ("update", [("PUT", "/v1.0/jobs/{id}")]),
        ("delete", [("DELETE", "/v1.0/jobs/{id}")]),
    )
]


def list_rules() -> list[policy.RuleDefault]:
    return list(RULES)
