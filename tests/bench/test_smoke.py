"""
`make bench` at the smoke scale: every measurement runs end to end against PostgreSQL and
reports every figure and ratio; without PostgreSQL it stops at once with a one-line reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from bench import pages, tasks
from bench.runner import MODULE_RATIOS, OPTIONAL, ratio_keys
from tests.utils import requires_postgres

ROOT = Path(__file__).resolve().parents[2]
SMOKE_DATABASE = "tsdash_bench_smoke"


def _bench(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    # The bench configures Django itself (manage.py's settings), not with the suite's.
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _smoke_url() -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{SMOKE_DATABASE}"


def _present(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(f"bench.{name}") is not None


def _expected_figures() -> list[str]:
    import importlib

    keys = [*pages.FIGURES, *tasks.FIGURES]
    for name in sorted(OPTIONAL):  # written separately: checked when present
        if _present(name):
            keys += list(getattr(importlib.import_module(f"bench.{name}"), "FIGURES", ()))
    return [f"{key}.{stage}" for key in keys for stage in ("small", "large")]


def _expected_ratios() -> set[str]:
    keys = set(ratio_keys())
    for name, ratios in MODULE_RATIOS.items():
        if _present(name):
            keys.update(ratios)
    return keys


@requires_postgres
def test_bench_smoke_runs_every_measurement(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"

    done = _bench(
        "--scale", "smoke", "--database-url", _smoke_url(), "--json", str(out), timeout=600
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    results = json.loads(out.read_text())
    figures = {f["key"]: f for f in results["figures"]}
    missing = [key for key in _expected_figures() if key not in figures]
    assert not missing, f"figures missing: {missing}"
    assert all(f["value"] > 0 for f in figures.values()), [
        k for k, f in figures.items() if f["value"] <= 0
    ]
    ratios = {r["key"] for r in results["ratios"]}
    assert _expected_ratios() <= ratios, f"ratios missing: {_expected_ratios() - ratios}"
    assert results["plans"], "no EXPLAIN recorded"
    assert results["machine"]["postgres"]
    assert results["machine"]["cores"] >= 1


def test_bench_without_postgres_exits_2_with_one_line() -> None:
    done = _bench(
        "--scale",
        "smoke",
        "--database-url",
        "postgres://postgres@127.0.0.1:1/nothing_bench",
        timeout=60,
    )

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("bench: PostgreSQL is required: cannot connect to 127.0.0.1:1")


@pytest.mark.parametrize("url", ["sqlite:///tmp/bench.sqlite3"])
def test_bench_refuses_a_database_other_than_postgres(url: str) -> None:
    done = _bench("--scale", "smoke", "--database-url", url, timeout=60)

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "PostgreSQL is required" in done.stderr


@pytest.mark.parametrize("name", ["tsdash", "postgres", "template1", "production", ""])
def test_bench_never_drops_a_database_not_named_as_a_benchmark(name: str) -> None:
    """An operator's typo in --database-url must not drop the application's database."""
    from bench.runner import BenchError, recreate_database

    with pytest.raises(BenchError, match="refusing to drop database"):
        recreate_database(f"postgres://postgres@127.0.0.1:1/{name}")
