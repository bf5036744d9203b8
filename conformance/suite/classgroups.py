"""pytest plugin (``-p classgroups``) for the clients' suites under pytest-xdist ``--dist
loadscope``: which tests must share a worker.

A test class whose setUpClass creates something (a project, a network, a port, a volume
group) and whose tearDownClass removes it keeps all its tests on one worker, in their order,
as with plain loadscope and as in a sequential run. Every other test is scheduled on its own:
OSC's ServerTests (28 of the 48 compute tests, each booting servers) only reads a flag in its
setUpClass, and as one unit it would keep one worker busy for half an hour while the others
idle. Tests are not changed, only distributed.

(xdist's own ``--dist loadgroup`` would need ``xdist_group`` marks, but pytest-xdist 3.8
renames the node ids for it in a way pytest 9 ignores; so this replaces the scheduler's
choice of scope instead, on the controller, which sees node ids only.)
Without pytest-xdist the plugin does nothing. Standard library and pytest only.
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path
from typing import Any

import pytest


def owns_class_resources(cls: type) -> bool:
    """A class of the suite's own package (not unittest's or testtools') in the test class's
    hierarchy defines tearDownClass: its setUpClass made something to remove."""
    package = cls.__module__.split(".")[0]
    return any("tearDownClass" in vars(c) for c in cls.__mro__
               if c.__module__.split(".")[0] == package)


def module_name(path: Path) -> str:
    """Dotted name of a test file inside its package (up to the first directory without
    __init__.py), as importable from site-packages."""
    parts = [path.stem]
    folder = path.parent
    while (folder / "__init__.py").exists():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts)


@functools.cache
def keep_together(rootdir: str, scope: str) -> bool:
    """Whether the tests of ``scope`` ("path::Class", path relative to the rootdir) must run
    on one worker; True when in doubt (a module that does not import, not a class)."""
    path, _, cls_name = scope.partition("::")
    if not cls_name or "::" in cls_name:
        return True
    try:
        module = importlib.import_module(module_name((Path(rootdir) / path).resolve()))
        cls = getattr(module, cls_name)
    except Exception:  # noqa: BLE001 - any doubt keeps the class together
        return True
    return not isinstance(cls, type) or owns_class_resources(cls)


def split_scope(rootdir: str, nodeid: str) -> str:
    """The scheduling unit of a test: its class when the class holds resources (or is not a
    class), else the test alone."""
    scope = nodeid.rsplit("::", 1)[0]
    return scope if keep_together(rootdir, scope) else nodeid


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # xdist defines the hook
def pytest_xdist_make_scheduler(config: Any, log: Any) -> Any:
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    rootdir = str(config.rootpath)

    class ClassScopeScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return split_scope(rootdir, nodeid)

    return ClassScopeScheduling(config, log)
