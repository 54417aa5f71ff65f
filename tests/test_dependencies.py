"""
The direction of dependencies between the project's packages (docs/architecture.md).

Infrastructure (accounts, audit, the shared API parts) imports no domain app: a domain app plugs
its roles, navigation, audit actions and alarms in through registries. Moderation imports
nothing from disclosures. No app imports another app's views. Only project-level packages
(settings and URL wiring, the demo command) may import everything.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db.migrations.loader import MigrationLoader

ROOT = Path(__file__).resolve().parent.parent

# Every top-level package of the project, in exactly one of these (the one place to list them).
INFRASTRUCTURE = frozenset({"accounts", "audit", "api_core", "core", "outbox"})
DOMAIN_APPS = frozenset({"moderation", "disclosures", "signals", "search_policy"})
# Settings, URL wiring, seed_demo, tests, and the benchmark (it measures every app).
PROJECT_LEVEL = frozenset({"bench", "config", "demo", "tests"})

# (importer, imported): packages that must never import the other, besides the rule above.
FORBIDDEN = frozenset(
    {
        ("moderation", "disclosures"),
        ("moderation", "signals"),
        ("moderation", "search_policy"),
        ("signals", "disclosures"),
        ("search_policy", "disclosures"),
    }
)


def _python_files(package: str) -> Iterator[Path]:
    yield from sorted((ROOT / package).rglob("*.py"))


def _imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """Every module the file imports, as (line, absolute dotted name), relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package_parts = list(path.relative_to(ROOT).parts[:-1])  # the package holding the file
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield node.lineno, module
            # "from moderation import views" imports the module moderation.views.
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


def _is_views(module: str) -> bool:
    """accounts.views, accounts.views_mfa, audit.integrity_views, disclosures.views.review..."""
    parts = module.split(".")
    return any(p == "views" or p.startswith("views_") or p.endswith("_views") for p in parts)


def _violations(package: str, refused: frozenset[str]) -> list[str]:
    found = []
    for path in _python_files(package):
        for line, module in _imported_modules(path):
            if module.split(".")[0] in refused:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return sorted(set(found))


def test_every_top_level_package_has_its_place_in_the_dependency_rule():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    classified = INFRASTRUCTURE | DOMAIN_APPS | PROJECT_LEVEL

    assert packages == classified, (
        "list each new package in INFRASTRUCTURE, DOMAIN_APPS or PROJECT_LEVEL "
        f"(unlisted: {sorted(packages - classified)}, gone: {sorted(classified - packages)})"
    )


@pytest.mark.parametrize("package", sorted(INFRASTRUCTURE))
def test_infrastructure_imports_no_domain_app(package):
    assert _violations(package, DOMAIN_APPS) == []


@pytest.mark.parametrize(("importer", "imported"), sorted(FORBIDDEN))
def test_forbidden_direction_is_never_imported(importer, imported):
    assert _violations(importer, frozenset({imported})) == []


@pytest.mark.parametrize("package", sorted(INFRASTRUCTURE | DOMAIN_APPS))
def test_no_app_imports_the_views_of_another(package):
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in _python_files(package)
        for line, module in _imported_modules(path)
        if module.split(".")[0] != package
        and module.split(".")[0] in INFRASTRUCTURE | DOMAIN_APPS
        and _is_views(module)
    ]

    assert found == []


@pytest.mark.parametrize("app_label", sorted(INFRASTRUCTURE))
def test_infrastructure_migrations_depend_on_no_domain_app(app_label):
    loader = MigrationLoader(None, ignore_no_migrations=True)

    found = [
        f"{name} depends on {dependency}"
        for (label, name), migration in loader.disk_migrations.items()
        if label == app_label
        for dependency in migration.dependencies
        if dependency[0] in DOMAIN_APPS
    ]

    assert found == []


def test_the_checker_sees_an_import_of_a_domain_app(tmp_path, monkeypatch):
    """The rule above would pass on a checker that finds nothing: prove it finds each form."""
    package = tmp_path / "infra"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "mod.py").write_text(
        "import moderation.models\n"
        "from disclosures import selectors\n"
        "from .. import views\n"
        "def lazy():\n"
        "    from moderation.services import claims\n"
    )
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)

    found = _violations("infra", DOMAIN_APPS)

    assert found == [
        "infra/sub/mod.py:1 imports moderation.models",
        "infra/sub/mod.py:2 imports disclosures",
        "infra/sub/mod.py:2 imports disclosures.selectors",
        "infra/sub/mod.py:5 imports moderation.services",
        "infra/sub/mod.py:5 imports moderation.services.claims",
    ]
    assert (3, "infra.views") in set(_imported_modules(package / "sub" / "mod.py"))


# --- Import cycles -------------------------------------------------------------------------------


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(nodes: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The imports a module runs when it is loaded: not those in functions or TYPE_CHECKING."""
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if "TYPE_CHECKING" not in ast.unparse(node.test):
                yield from _top_level_imports(node.body)
            yield from _top_level_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                yield from _top_level_imports(block)


def _import_graph(packages: frozenset[str], root: Path) -> dict[str, set[str]]:
    """Module -> the project modules it loads with it ("from a import b": a.b when a module)."""
    paths = {_module_name(p, root): p for pkg in packages for p in (root / pkg).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        imported: set[str] = set()
        for node in _top_level_imports(tree.body):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
                continue
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                imported.add(submodule if submodule in paths else module)
        graph[name] = {m for m in imported if m in paths and m != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle_among_the_project_modules():
    packages = INFRASTRUCTURE | DOMAIN_APPS | (PROJECT_LEVEL - {"tests"})

    assert _cycles(_import_graph(packages, ROOT)) == []


def test_the_cycle_checker_sees_a_cycle(tmp_path):
    """A checker that finds nothing would pass the rule above: prove it finds a cycle."""
    package = tmp_path / "app"
    (package / "services").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "services" / "__init__.py").write_text("")
    (package / "services" / "a.py").write_text("from app.services import b\n")
    (package / "services" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nfrom . import c\nif TYPE_CHECKING:\n    import app.x\n"
    )
    (package / "services" / "c.py").write_text(
        "import app.services.a\ndef lazy():\n    from app import x\n"
    )
    (package / "x.py").write_text("from app.services.b import anything\n")

    graph = _import_graph(frozenset({"app"}), tmp_path)

    assert _cycles(graph) == [["app.services.a", "app.services.b", "app.services.c"]]
    assert graph["app.x"] == {"app.services.b"}


def _is_test_module(module: str) -> bool:
    return module.startswith("tests.") and module.rsplit(".", 1)[-1].startswith("test_")


def test_no_test_module_imports_another():
    """Shared test helpers live in helper modules or conftest.py, never in a test module."""
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in _python_files("tests")
        for line, module in _imported_modules(path)
        if _is_test_module(module) and module.rsplit(".", 1)[-1] != path.stem
    ]

    assert sorted(set(found)) == []


def test_the_test_import_rule_sees_an_import_of_a_test_module():
    assert _is_test_module("tests.moderation.test_appeals")
    assert _is_test_module("tests.test_urls")
    assert not _is_test_module("tests.moderation.factories")
    assert not _is_test_module("tests.moderation.test_appeals.submit_appeal")
