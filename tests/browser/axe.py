"""
Accessibility checks with axe-core, injected into the page under test by the test itself.

axe-core is pinned in package.json and installed by `make install` (npm ci) into node_modules:
it is never served by the application. page.evaluate runs it through the DevTools protocol, so
the pages' strict Content-Security-Policy stays as it is for the check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA rules, what the "zero serious or critical violations" is measured by.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


def axe_source() -> str:
    if not AXE.exists():
        pytest.skip("needs axe-core: run `make install` (npm ci; CI has it)")
    return AXE.read_text(encoding="utf-8")


def blocking_violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical WCAG A/AA violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        "tags => window.axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [v for v in result["violations"] if v.get("impact") in BLOCKING]


def describe(violations: list[dict[str, Any]]) -> str:
    """A readable failure message: rule, impact, help and the first few offending elements."""
    lines = []
    for v in violations:
        targets = [" ".join(map(str, node["target"])) for node in v["nodes"][:4]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} -> {targets}")
        summary = v["nodes"][0].get("failureSummary", "") if v["nodes"] else ""
        if summary:
            lines.append("    " + summary.replace("\n", " | ")[:300])
    return "\n".join(lines)
