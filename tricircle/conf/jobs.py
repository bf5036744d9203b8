"""[jobs]: the durable job engine."""

from oslo_config import cfg

GROUP = "jobs"
OPTS = [
    cfg.IntOpt("lease_seconds", default=60, min=5,
               help="A running job whose lease (database time) expired is claimed again."),
    cfg.IntOpt("max_attempts", default=8, min=1, help="Attempts before a job stays failed."),
    cfg.FloatOpt("backoff_base", default=2.0, min=0.1,
                 help="First retry delay in seconds; doubles per attempt."),
    cfg.FloatOpt("backoff_max", default=300.0, min=1.0, help="Longest retry delay (seconds)."),
    cfg.FloatOpt("poll_interval", default=1.0, min=0.05,
                 help="Seconds a worker sleeps when no job is due."),
    cfg.IntOpt("batch_size", default=10, min=1, help="Jobs claimed at once by a worker."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
