"""[keystone]: token validation and the gateway's service account."""

from oslo_config import cfg

GROUP = "keystone"
OPTS = [
    cfg.URIOpt("auth_url", default="http://127.0.0.1:5000/v3",
               help="Keystone v3 endpoint shared by every pod."),
    cfg.StrOpt("username", default="tricircle", help="Service account (admin in every pod)."),
    cfg.StrOpt("password", secret=True, help="Service account password."),
    cfg.StrOpt("project_name", default="service", help="Service account project."),
    cfg.StrOpt("user_domain_name", default="Default", help="Domain of the service user."),
    cfg.StrOpt("project_domain_name", default="Default",
               help="Domain of the service project."),
    cfg.StrOpt("region_name", default="CentralRegion",
               help="Catalog region of the gateway's own endpoints."),
    cfg.StrOpt("interface", default="public", choices=["public", "internal", "admin"],
               help="Which pod endpoints (from the catalog) the gateway calls."),
    cfg.IntOpt("token_cache_ttl", default=300, min=0,
               help="Seconds a validated user token stays cached (never past its expiry)."),
    cfg.IntOpt("token_cache_size", default=10000, min=0, help="Most tokens kept in the cache."),
    cfg.IntOpt("catalog_refresh", default=300, min=10,
               help="Seconds between re-reads of pod endpoints from the catalog."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
