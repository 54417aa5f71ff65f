"""
`python -m bench`: a fresh benchmark database, the small stage measured, the data grown, the
large stage measured, the ratios of the issue's targets, a table and a JSON file.

Django is configured here, before anything imports a model: the settings of `manage.py`
with DEBUG and the demo off, and DATABASE_URL pointing at the benchmark database, never the
project's own.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.core import (
    SCALES,
    Context,
    Ratio,
    Results,
    Scale,
    Stage,
    cpu_probe,
    median_seconds,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tsdash_bench"
DATABASES = {"smoke": "tsdash_bench_smoke", "mid": "tsdash_bench_mid"}
DEFAULT_JSON = "docs/benchmarks.json"

# Measurement modules, each with `measure(ctx)`. The last four are written separately and
# may be absent; a missing one is noted and skipped.
MODULES = ("pages", "tasks", "plans", "intake", "claims", "audit", "extraction")
OPTIONAL = frozenset({"intake", "claims", "audit", "extraction"})
# The ratios those modules add themselves inside measure() (listed here, not computed here):
# the smoke test expects them whenever the module is present.
MODULE_RATIOS = {
    "intake": ("intake.batched_vs_copy", "intake.single.flat"),
    "claims": ("claims.service_vs_raw",),
    "audit": ("audit.seal_vs_copy", "audit.verify_vs_python"),
    "extraction": ("extraction.flat",),
}

# Figures that must not grow from the small stage to the large one (1M / 10k ≤ 1.2).
FLAT = (
    ("queue.first.selector", "Queue page 1, selector"),
    ("queue.deep.selector", "Queue deep page, selector"),
    ("queue.first.view", "Queue page 1, whole view"),
    ("queue.deep.view", "Queue deep page, whole view"),
    ("queue.rare.selector", "Queue, rare filter combination"),
    ("queue.rare.count", "Queue, rare filter combination's capped counts"),
    ("case.typical.view", "Case page, typical"),
    ("case.prolific.view", "Case page, most prolific author"),
    ("admin.project.first", "Project admin changelist, page 1"),
    ("admin.project.deep", "Project admin changelist, deep page"),
    ("task.deadlines", "Deadline re-scoring run"),
    ("task.seal", "Audit sealing run"),
    ("task.purge", "Evidence purge run"),
    # The control: reads no data, so any growth is the machine's, not the code's.
    ("empty.view", "Empty signed-in page (reads no data)"),
)
# Which module's CPU probe a flat figure is read against (the probe taken just before it).
PROBED_BY = {"task": "tasks"}  # every other figure: "pages"


class BenchError(RuntimeError):
    """A condition the run cannot go on from, said in one line (exit status 2)."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="default")
    parser.add_argument(
        "--database-url",
        help=f"the benchmark database, dropped and recreated (default {DEFAULT_URL}; "
        "smoke: tsdash_bench_smoke)",
    )
    parser.add_argument("--json", default=None, help=f"where to write results ({DEFAULT_JSON})")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=MODULES)
    parser.add_argument(
        "--markdown",
        action="store_true",
        help="print the markdown table of an existing results JSON (--json) and exit",
    )
    return parser.parse_args(argv)


def database_url(args: argparse.Namespace, scale: Scale) -> str:
    if args.database_url:
        return str(args.database_url)
    env = os.environ.get("BENCH_DATABASE_URL")
    if env:
        return env
    parts = urlsplit(DEFAULT_URL)
    return urlunsplit(parts._replace(path="/" + DATABASES.get(scale.name, "tsdash_bench")))


def recreate_database(url: str) -> None:
    """Drop and create the benchmark database, from the server's maintenance database."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise BenchError(f"PostgreSQL is required: {parts.scheme or 'no'} database URL given")
    name = parts.path.lstrip("/")
    # Dropped whole: only a database named as a benchmark's, never the application's by a typo.
    if "bench" not in name or name in ("postgres", "template0", "template1"):
        raise BenchError(
            f"refusing to drop database {name!r}: the benchmark database's name must contain "
            "'bench' (e.g. tsdash_bench)"
        )
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    try:
        conn = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        host = f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
        raise BenchError(f"PostgreSQL is required: cannot connect to {host} ({reason})") from exc
    with conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def configure(url: str) -> None:
    """Django's settings for the run: as manage.py, DEBUG and demo off, the bench database."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    # Measured as deployed: no SQL logging, no debug pages, no demo shortcuts.
    os.environ["DEBUG"] = "false"
    os.environ["DEMO_MODE"] = "false"
    import django

    django.setup()


def load_modules(names: tuple[str, ...], results: Results) -> list[tuple[str, Any]]:
    found = []
    for name in names:
        try:
            found.append((name, importlib.import_module(f"bench.{name}")))
        except ModuleNotFoundError as exc:
            if name in OPTIONAL and exc.name == f"bench.{name}":
                results.notes.append(f"bench.{name} is not present: its measurements skipped")
                continue
            raise
    return found


def ratio_keys() -> list[str]:
    """The keys of the ratios `add_ratios` computes (each needs both its figures)."""
    keys = [f"flat.{key}" for key, _ in FLAT]
    for page in ("first", "deep"):
        keys += [
            f"queue.{page}.{k}" for k in ("selector_vs_raw", "view_vs_empty", "vs_stock_admin")
        ]
    keys += [f"flat_speed.{key}" for key, _ in FLAT]
    return [*keys, "admin.project.deep_vs_first"]


def probe(ctx: Context, name: str) -> None:
    """The machine's speed just before module `name` measures (see `core.cpu_probe`)."""
    seconds = median_seconds(cpu_probe, repeat=7, warmup=1)
    ctx.figure(
        f"probe.{name}",
        f"CPU probe (fixed Python work) before {name}, {ctx.cases():,} cases",
        seconds * 1000,
        "ms",
        runs=7,
    )


def add_speed_corrected(results: Results, key: str, label: str) -> None:
    """
    A flat figure's large / small ratio divided by the machine's own large / small ratio
    (its CPU probe at each stage): what the data's growth did, the machine's drift removed.
    """
    module = PROBED_BY.get(key.split(".")[0], "pages")
    names = (f"{key}.large", f"{key}.small", f"probe.{module}.large", f"probe.{module}.small")
    found = [results.figures.get(name) for name in names]
    if any(f is None or not f.value for f in found):
        results.notes.append(f"ratio flat_speed.{key}: missing one of {names}")
        return
    big, small, probe_big, probe_small = (f.value for f in found if f is not None)
    value = (big / small) / (probe_big / probe_small)
    results.ratios.append(
        Ratio(
            key=f"flat_speed.{key}",
            label=f"{label}: large / small, divided by the CPU probe's large / small",
            numerator=f"{names[0]} / {names[1]}",
            denominator=f"{names[2]} / {names[3]}",
            value=value,
            op="<=",
            target=1.2,
            met=value <= 1.2,
        )
    )


def add_ratios(results: Results) -> None:
    """The issue's targets, each between two figures of this run."""
    for key, label in FLAT:
        results.ratio(
            f"flat.{key}", f"{label}: large / small", f"{key}.large", f"{key}.small", "<=", 1.2
        )
    for key, label in FLAT:
        add_speed_corrected(results, key, label)
    for page in ("first", "deep"):
        results.ratio(
            f"queue.{page}.selector_vs_raw",
            f"Queue {page} page: selector / its joined raw SQL (large)",
            f"queue.{page}.selector.large",
            f"queue.{page}.raw.large",
            "<=",
            4,
        )
        results.ratio(
            f"queue.{page}.view_vs_empty",
            f"Queue {page} page: whole view / empty signed-in page (large)",
            f"queue.{page}.view.large",
            "empty.view.large",
            "<=",
            2,
        )
        results.ratio(
            f"queue.{page}.vs_stock_admin",
            f"Stock admin changelist / queue page, {page} page (large)",
            f"admin.stock.{page}.large",
            f"queue.{page}.view.large",
            ">=",
            5 if page == "first" else 20,
        )
    results.ratio(
        "admin.project.deep_vs_first",
        "Project admin changelist: deep page / page 1 (large)",
        "admin.project.deep.large",
        "admin.project.first.large",
        "<=",
        2,
    )


def run(args: argparse.Namespace) -> int:
    scale = SCALES[args.scale]
    url = database_url(args, scale)
    started = time.perf_counter()
    recreate_database(url)
    configure(url)

    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings

    from bench import data, report

    results = Results(scale)
    results.machine = report.machine_info()
    results.machine["postgres"] = report.postgres_version()
    t = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    results.timings["migrate"] = time.perf_counter() - t

    modules = load_modules(tuple(args.only or MODULES), results)
    failures = 0
    ctx = Context(scale=scale, results=results)
    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    with override_settings(ROOT_URLCONF="bench.urls", ALLOWED_HOSTS=hosts):
        stages: tuple[Stage, ...] = ("small", "large")
        for stage in stages:
            ctx.stage = stage
            t = time.perf_counter()
            facts = data.generate(ctx)
            results.timings[f"generate.{stage}"] = time.perf_counter() - t
            print(
                f"[bench] {stage}: generated in {results.timings[f'generate.{stage}']:.1f} s "
                f"{facts.counts}",
                file=sys.stderr,
                flush=True,
            )
            for name, module in modules:
                probe(ctx, name)
                t = time.perf_counter()
                try:
                    module.measure(ctx)
                except Exception as exc:  # one broken measurement must not hide the others
                    failures += 1
                    results.notes.append(f"bench.{name} failed at {stage}: {exc!r}")
                    traceback.print_exc()
                results.timings[f"{name}.{stage}"] = time.perf_counter() - t
                print(
                    f"[bench] {stage}: {name} in {results.timings[f'{name}.{stage}']:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
        assert ctx.facts is not None
        results.machine["generation"] = ctx.facts.load
        results.machine["rows"] = ctx.facts.counts
    add_ratios(results)
    results.timings["total"] = time.perf_counter() - started
    print(report.text(results))
    out = Path(args.json or DEFAULT_JSON)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results.as_json(), indent=2, default=str) + "\n")
    print(f"\nWritten {out} in {results.timings['total']:.0f} s.")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.markdown:
        from bench import report

        path = Path(args.json or DEFAULT_JSON)
        print(report.markdown(json.loads(path.read_text())))
        return 0
    try:
        return run(args)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
