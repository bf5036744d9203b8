"""Rendering and writing of INI files (oslo.config and uwsgi dialects)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

Section = Mapping[str, object]


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def render(sections: Mapping[str, Section]) -> str:
    """Return INI text for ``{section: {key: value}}``."""
    out: list[str] = []
    for name, options in sections.items():
        out.append(f"[{name}]")
        for key, value in options.items():
            out.append(f"{key} = {_value(value)}")
        out.append("")
    return "\n".join(out)


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless it already holds it; return True if written."""
    try:
        if path.read_text() == text:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True
