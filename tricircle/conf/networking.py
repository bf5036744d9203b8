"""[networking]: central Neutron and cross-pod networking."""

from oslo_config import cfg

GROUP = "networking"
OPTS = [
    cfg.URIOpt("central_neutron_url",
               help="Endpoint of the central (stock) neutron-server, e.g. http://127.0.0.1:9701."),
    cfg.StrOpt("bridge_cidr", default="100.0.0.0/9",
               help="Addresses for the per-tenant bridge networks joining pod routers."),
    cfg.IntOpt("audit_interval", default=3600, min=0,
               help="Seconds between runs of the networking audit (routing rows vs the "
                    "pods' copies; repairs what is safe, reports the rest at /v1.0/audits). "
                    "0: only on demand."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
