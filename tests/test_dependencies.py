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
INFRASTRUCTURE = frozenset({"accounts", "audit", "api_core"})
DOMAIN_APPS = frozenset({"moderation", "disclosures"})
PROJECT_LEVEL = frozenset({"config", "demo", "tests"})  # settings, URL wiring, seed_demo, tests

# (importer, imported): packages that must never import the other, besides the rule above.
FORBIDDEN = frozenset({("moderation", "disclosures")})


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
