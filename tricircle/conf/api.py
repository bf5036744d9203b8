"""[api]: the HTTP server of the gateway."""

from oslo_config import cfg

GROUP = "api"
OPTS = [
    cfg.HostAddressOpt("bind_host", default="127.0.0.1", help="Address the API listens on."),
    cfg.PortOpt("bind_port", default=19999, help="Port the API listens on."),
    cfg.StrOpt("public_url", help="Base URL clients use to reach the gateway "
               "(e.g. https://cloud.example.com:19999). Hrefs, links and Location headers "
               "are rewritten to it. Default: derived from the request's Host header."),
    cfg.IntOpt("max_request_body_size", default=114688, min=1024,
               help="Largest request body accepted (bytes); larger gets 413 in the "
               "surface's dialect. Image data uploads are exempt (streamed)."),
    cfg.IntOpt("workers", default=1, min=1,
               help="Number of api processes `tricircle api` starts."),
    cfg.BoolOpt("run_worker", help="Run the job worker inside the api process. "
                "Default: yes when the database is SQLite, no otherwise."),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [(GROUP, OPTS)]
