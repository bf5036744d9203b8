"""Run the API server (aiohttp); its worker processes share one listening socket."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket

from aiohttp import web
from oslo_config import cfg

LOG = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, help="Processes (default [api] workers).")


def _socket(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the workers fork (they inherit it). No
    SO_REUSEPORT: a second gateway started on a port already served must fail, not
    share it silently (two gateways with different databases would each answer
    part of the requests)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    return sock


def _serve(conf: cfg.ConfigOpts, sock: socket.socket) -> None:
    from tricircle.api.app import build_app

    try:
        import uvloop
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        pass
    web.run_app(build_app(conf), sock=sock, access_log=None, print=None,
                handle_signals=True, shutdown_timeout=10)


def run(args: argparse.Namespace, conf: cfg.ConfigOpts) -> int:
    workers = args.workers or conf.api.workers
    sock = _socket(conf.api.bind_host, conf.api.bind_port)
    LOG.info("tricircle api on http://%s:%s (%d process(es))", conf.api.bind_host,
             conf.api.bind_port, workers)
    children = []
    for _ in range(workers - 1):
        pid = os.fork()
        if pid == 0:
            _serve(conf, sock)
            os._exit(0)
        children.append(pid)
    try:
        _serve(conf, sock)
    finally:
        for pid in children:
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                pass
    return 0
