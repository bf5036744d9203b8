"""Policies of the /v1.0/routings admin API: project-scoped reads, admin writes."""

from oslo_policy import policy

from tricircle.policies import base

_P = "tricircle:routings:%s"
RULES = [
    policy.DocumentedRuleDefault(
        _P % action, check, f"{action.capitalize()} routings.",
        [{"method": m, "path": p} for m, p in ops])
    for action, check, ops in (
        ("list", base.ADMIN_OR_OWNER, [("GET", "/v1.0/routings")]),
        ("show", base.ADMIN_OR_OWNER, [("GET", "/v1.0/routings/{id}")]),
        ("create", base.ADMIN, [("POST", "/v1.0/routings")]),
        ("update", base.ADMIN, [("PUT", "/v1.0/routings/{id}")]),
        ("delete", base.ADMIN, [("DELETE", "/v1.0/routings/{id}")]),
    )
] + [
    policy.DocumentedRuleDefault(
        _P % "all_projects", base.ADMIN,
        "See the routings of every project (otherwise only the caller's project's).",
        [{"method": "GET", "path": "/v1.0/routings"},
         {"method": "GET", "path": "/v1.0/routings/{id}"}]),
]


def list_rules() -> list[policy.RuleDefault]:
    return list(RULES)
