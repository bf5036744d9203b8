"""[scheduler]: choosing a pod for a new server or volume."""

from oslo_config import cfg

GROUP = "scheduler"
OPTS = [
    cfg.StrOpt("strategy", default="spread", choices=["spread", "pack"],
               help="spread: prefer the pod with the most free capacity; pack: the least."),
    cfg.ListOpt("filters", default=["availability_zone", "state", "health", "capability"],
                help="Filters applied in order."),
    cfg.ListOpt("weighers", default=["binding", "affinity", "image", "capacity"],
                help="Weighers summed (binding, affinity, image, capacity)."),
    cfg.FloatOpt("capacity_timeout", default=3.0, min=0.1,
                 help="Seconds to wait for a pod's Placement when reading capacity."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
