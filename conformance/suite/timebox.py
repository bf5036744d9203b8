"""pytest plugin (``-p timebox``) for the clients' functional suites: a time box per run.

When ``CONFORMANCE_DEADLINE`` (epoch seconds) has passed, the session stops after the test
that is running: that test ends normally (its clean-ups and its class's tearDownClass run),
the junit file is written, and the tests not reached are simply absent from it. A slow
machine so gives partial, honest numbers instead of a killed run with leftovers.
Standard library and pytest only: it is loaded inside the conformance venv.
"""

from __future__ import annotations

import os
import time
from typing import Any


def _deadline() -> float | None:
    value = os.environ.get("CONFORMANCE_DEADLINE")
    return float(value) if value else None


def pytest_runtest_logreport(report: Any) -> None:
    deadline = _deadline()
    if deadline is None or report.when != "teardown" or time.time() < deadline:
        return
    session = _SESSION.get("session")
    if session is not None and not session.shouldstop:
        session.shouldstop = "conformance time box reached"


_SESSION: dict[str, Any] = {}


def pytest_sessionstart(session: Any) -> None:
    _SESSION["session"] = session


def pytest_collection_modifyitems(session: Any, config: Any, items: list[Any]) -> None:
    # a time box already over before the first test (a very slow collection): run nothing
    deadline = _deadline()
    if deadline is not None and time.time() >= deadline:
        session.shouldstop = "conformance time box reached before the first test"
