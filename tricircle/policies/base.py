"""Shared check strings."""

from oslo_policy import policy

ADMIN = "role:admin"
ADMIN_OR_OWNER = "role:admin or project_id:%(project_id)s"

RULES = [
    policy.RuleDefault("admin_api", ADMIN, "Default rule for the admin API."),
    policy.RuleDefault("admin_or_owner", ADMIN_OR_OWNER, "Admin or owner of the object."),
]


def list_rules() -> list[policy.RuleDefault]:
    return RULES
