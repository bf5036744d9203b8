"""Policies of the /v1.0/jobs admin API."""

from oslo_policy import policy

from tricircle.policies import base

_P = "tricircle:jobs:%s"
RULES = [
    policy.DocumentedRuleDefault(
        _P % action, base.ADMIN, description,
        [{"method": m, "path": p} for m, p in ops])
    for action, description, ops in (
        ("list", "List jobs.", [("GET", "/v1.0/jobs")]),
        ("show", "Show a job.", [("GET", "/v1.0/jobs/{id}")]),
        ("create", "Enqueue a job by hand.", [("POST", "/v1.0/jobs")]),
        ("update", "Redo a job (back to new, attempts reset).", [("PUT", "/v1.0/jobs/{id}")]),
        ("delete", "Delete a job that is not running.", [("DELETE", "/v1.0/jobs/{id}")]),
        ("all_projects", "See the jobs of every project when listing or showing "
         "(otherwise only the caller's project's).",
         [("GET", "/v1.0/jobs"), ("GET", "/v1.0/jobs/{id}")]),
    )
]


def list_rules() -> list[policy.RuleDefault]:
    return list(RULES)
