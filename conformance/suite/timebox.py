"""pytest plugin (``-p timebox``) for the clients' functional suites: a time box per run.

When ``CONFORMANCE_DEADLINE`` (epoch seconds) has passed, no further test starts: the test
that is running ends normally (its clean-ups run; a class's tearDownClass runs at the end of
the session at the latest), the junit file is written, and the tests not reached are simply
absent from it. A slow machine so gives partial, honest numbers instead of a killed run with
leftovers. The same holds under pytest-xdist (``-n N``): each worker loads this plugin and
stops starting tests at the deadline, and the controller reports the time box.
Standard library and pytest only: it is loaded inside the conformance venv.
"""

from __future__ import annotations

import os
import time
from typing import Any

_NOT_RUN: list[str] = []


def _deadline() -> float | None:
    value = os.environ.get("CONFORMANCE_DEADLINE")
    return float(value) if value else None


def _over() -> bool:
    deadline = _deadline()
    return deadline is not None and time.time() >= deadline


def pytest_runtest_protocol(item: Any, nextitem: Any) -> bool | None:
    """Past the deadline, a test is neither run nor reported (so absent from the junit file
    and from the -v lines); otherwise pytest's own protocol runs it."""
    if _over():
        _NOT_RUN.append(item.nodeid)
        return True
    return None


def pytest_terminal_summary(terminalreporter: Any) -> None:
    # in a sequential run this process skipped the tests; under xdist the workers did and
    # the controller only knows that the deadline passed before the session ended
    if _NOT_RUN or _over():
        not_run = f": {len(_NOT_RUN)} tests not run" if _NOT_RUN else ""
        terminalreporter.write_line(f"conformance time box reached{not_run}")
