"""Policies of the /v1.0/bindings admin API."""

from oslo_policy import policy

from tricircle.policies import base

_P = "tricircle:bindings:%s"
RULES = [
    policy.DocumentedRuleDefault(
        _P % action, base.ADMIN, f"{action.capitalize()} bindings.",
        [{"method": m, "path": p} for m, p in ops])
    for action, ops in (
        ("list", [("GET", "/v1.0/bindings")]),
        ("show", [("GET", "/v1.0/bindings/{id}")]),
        ("create", [("POST", "/v1.0/bindings")]),
        ("update", [("PUT", "/v1.0/bindings/{id}")]),
        ("delete", [("DELETE", "/v1.0/bindings/{id}")]),
    )
]


def list_rules() -> list[policy.RuleDefault]:
    return list(RULES)
