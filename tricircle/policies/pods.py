"""Policies of the /v1.0/pods admin API."""

from oslo_policy import policy

from tricircle.policies import base

_P = "tricircle:pods:%s"
RULES = [
    policy.DocumentedRuleDefault(
        _P % action, base.ADMIN, f"{action.capitalize()} pods.",
        [{"method": m, "path": p} for m, p in ops])
    for action, ops in (
        ("list", [("GET", "/v1.0/pods")]),
        ("show", [("GET", "/v1.0/pods/{id}")]),
        ("create", [("POST", "/v1.0/pods")]),
        ("update", [("PUT", "/v1.0/pods/{id}")]),
        ("delete", [("DELETE", "/v1.0/pods/{id}")]),
    )
]


def list_rules() -> list[policy.RuleDefault]:
    return list(RULES)
