"""Result rows and the printed table."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Row:
    bench: str              # e.g. "throughput"
    case: str               # what was measured
    value: str              # absolute figure(s), human readable
    ratio: str = ""         # against the reference measured in the same run
    target: str = ""
    verdict: str = ""       # "met", "MISSED", "n/a", "info"
    raw: dict[str, Any] = field(default_factory=dict)


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "MISSED")


def table(rows: list[Row]) -> str:
    """A Markdown table (readable in a terminal too)."""
    head = ("benchmark", "case", "measured", "ratio", "target", "verdict")
    cells = [head] + [(r.bench, r.case, r.value, r.ratio, r.target, r.verdict) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]

    def line(c: tuple[str, ...]) -> str:
        return "| " + " | ".join(x.ljust(w) for x, w in zip(c, widths, strict=True)) + " |"

    out = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(c) for c in cells[1:]]
    return "\n".join(out)


def dump(rows: list[Row], path: str) -> None:
    with open(path, "w") as f:
        json.dump([asdict(r) for r in rows], f, indent=1, default=str)
