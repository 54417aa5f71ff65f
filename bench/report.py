"""The table on the terminal, the markdown for docs/benchmarks.md, and the machine it ran on."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

from bench.core import Results


def machine_info() -> dict[str, Any]:
    """CPU model, cores, RAM, Python and (once connected) PostgreSQL version."""
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        cpu = platform.processor()
    ram_gib = 0.0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count() or 0,
        "ram_gib": ram_gib,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return str(cursor.fetchone()[0])


def _number(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    if unit == "s":
        return f"{value:,.3f}"
    return f"{value:,.0f}"


def _rows(data: dict[str, Any]) -> tuple[list[list[str]], list[list[str]], list[str]]:
    figures = [
        [f["key"], f["label"], f"{_number(f['value'], f['unit'])} {f['unit']}", str(f["runs"])]
        for f in data["figures"]
    ]
    ratios = [
        [
            r["key"],
            r["label"],
            f"{r['value']:.2f}",
            f"{r['op']} {r['target']:g}",
            "met" if r["met"] else "NOT MET",
        ]
        for r in data["ratios"]
    ]
    return figures, ratios, list(data["plan_problems"])


def _plain(headers: list[str], rows: list[list[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def text(results: Results) -> str:
    """The table printed at the end of a run: figures, ratios against targets, plan problems."""
    data = results.as_json()
    figures, ratios, problems = _rows(data)
    parts = [
        f"Scale {results.scale.name}: {results.scale.small_cases:,} → "
        f"{results.scale.large_cases:,} cases",
        "",
        _plain(["figure", "what", "median", "runs"], figures),
        "",
        _plain(["ratio", "what", "value", "target", ""], ratios),
        "",
        "Plan problems:" if problems else "Plan problems: none",
        *(f"  - {p}" for p in problems),
    ]
    if results.notes:
        parts += ["", "Notes:", *(f"  - {n}" for n in results.notes)]
    return "\n".join(parts)


def _md_table(headers: list[str], rows: list[list[str]], right: set[int]) -> str:
    out = ["| " + " | ".join(headers) + " |"]
    out.append("|" + "|".join("---:" if i in right else "---" for i in range(len(headers))) + "|")
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(out)


def markdown(data: dict[str, Any]) -> str:
    """The markdown of a results JSON (`python -m bench --markdown`), for docs/benchmarks.md."""
    figures, ratios, problems = _rows(data)
    machine = data.get("machine", {})
    scale = data["scale"]
    lines = [
        f"Scale `{scale['name']}`: {scale['small_cases']:,} cases (small) grown to "
        f"{scale['large_cases']:,} (large), the median of the runs each row gives. "
        f"Machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, "
        f"{machine.get('ram_gib', '?')} GiB RAM, PostgreSQL {machine.get('postgres', '?')}, "
        f"Python {machine.get('python', '?')}.",
        "",
        _md_table(["figure", "what", "median", "runs"], [r[:] for r in figures], {2, 3}),
        "",
        _md_table(["ratio", "what", "value", "target", "met"], ratios, {2}),
        "",
    ]
    if problems:
        lines += ["Plan problems:", "", *(f"- {p}" for p in problems), ""]
    else:
        lines += ["Plan problems: none (no sequential scan on a table over 10k rows).", ""]
    timings = data.get("timings") or {}
    if timings:
        lines += [
            "Phases: " + ", ".join(f"{k} {v:,.1f} s" for k, v in timings.items()) + ".",
            "",
        ]
    return "\n".join(lines)
