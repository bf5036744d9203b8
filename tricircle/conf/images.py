"""[images]: the top image registry and replication between pods (image lists
use the [fanout] deadline and concurrency of every merged list)."""

from oslo_config import cfg

GROUP = "images"
OPTS = [
    cfg.FloatOpt("replicate_wait", default=600.0, min=1.0,
                 help="Seconds a server (or volume) create waits for the image to be "
                      "copied into its pod before answering 503."),
    cfg.IntOpt("chunk_size", default=1024 * 1024, min=4096,
               help="Bytes read from the source pod at a time while streaming a copy "
                    "(memory per copy is a few chunks)."),
    cfg.FloatOpt("read_timeout", default=120.0, min=1.0,
                 help="Seconds without data after which a streamed copy (or a "
                      "download through the gateway) is abandoned."),
    cfg.FloatOpt("import_timeout", default=300.0, min=1.0,
                 help="Seconds a glance-download import into a pod (used where the "
                      "pod's Glance offers it) may take before the copy job deletes it "
                      "and streams the data itself instead (below replicate_wait, so "
                      "that a stuck import still leaves time for the streamed copy)."),
    cfg.StrOpt("import_interface", default="public",
               choices=["public", "internal", "admin"],
               help="Catalog interface of the home pod's Glance that a pod's Glance "
                    "fetches from in a glance-download import (its "
                    "glance_service_interface)."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
