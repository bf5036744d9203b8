"""A standalone `tricircle worker` knows every job type the gateway enqueues."""

import ast
from pathlib import Path

from tricircle.jobs import handlers

PACKAGE = Path(handlers.__file__).resolve().parents[1]


def _modules_with_handlers() -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                    isinstance(d, ast.Call) and getattr(d.func, "id", "") == "register"
                    for d in node.decorator_list):
                rel = path.relative_to(PACKAGE.parent).with_suffix("")
                found.add(".".join(rel.parts))
    return found


def test_every_module_registering_handlers_is_loaded_by_the_worker():
    missing = _modules_with_handlers() - set(handlers.HANDLER_MODULES)
    assert not missing, f"add {sorted(missing)} to jobs.handlers.HANDLER_MODULES"
