"""[fanout]: lists across pods."""

from oslo_config import cfg

GROUP = "fanout"
OPTS = [
    cfg.FloatOpt("pod_deadline", default=5.0, min=0.1,
                 help="Seconds a list waits for one pod before answering without it."),
    cfg.IntOpt("max_concurrency", default=64, min=1, help="Pods queried at once by one list."),
    cfg.StrOpt("down_pod_policy", default="skip", choices=["skip", "fail"],
               help="Below compute microversion 2.69, a list with a pod down either skips "
               "that pod's servers or fails with 503."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
