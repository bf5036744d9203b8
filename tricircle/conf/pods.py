"""[pods]: health probes and pod HTTP clients."""

from oslo_config import cfg

GROUP = "pods"
OPTS = [
    cfg.IntOpt("probe_interval", default=10, min=1, help="Seconds between health probes."),
    cfg.IntOpt("failure_threshold", default=2, min=1,
               help="Consecutive failed probes before a pod is marked unhealthy."),
    cfg.IntOpt("success_threshold", default=2, min=1,
               help="Consecutive good probes before an unhealthy pod is healthy again."),
    cfg.FloatOpt("request_timeout", default=60.0, min=1.0,
                 help="Total timeout of one forwarded request to a pod (seconds)."),
    cfg.IntOpt("connections_per_pod", default=100, min=1,
               help="Size of the connection pool kept for each pod."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
