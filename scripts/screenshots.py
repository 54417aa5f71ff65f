"""
`make screenshots`: PNGs of the main screens of every role, from the demo data, for docs/screens.md.

Seeds the demo into a database of its own (a temporary VAR_DIR: your `make run` data is left
alone), serves it with runserver, signs in as each demo account in Chromium (the demo
authenticator's code where a role needs one) and captures each screen at 1280x800. Rewrites
docs/screens/*.png and docs/screens.md.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, ViewportSize, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screens"
PASSWORD = "tsdash-demo-2026"  # noqa: S105 - the demo accounts' documented password
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}

# Ids the screens need, read from the seeded database.
IDS_SCRIPT = """
import json
from disclosures.models import LegalRequest
from moderation.models import Appeal, Case
open_case = Case.objects.filter(status="open", rollup_parent__isnull=True).order_by("-priority")
group = Case.objects.filter(subject_type="group", rolled_up_cases__isnull=False).first()
review = LegalRequest.objects.filter(status="pending_approval").first()
review = review or LegalRequest.objects.first()
print(json.dumps({
    "case": open_case.values_list("pk", flat=True).first(),
    "group_case": group.pk if group else None,
    "appeal": Appeal.objects.filter(status="pending").values_list("pk", flat=True).first(),
    "request": review.pk if review else None,
}))
"""


def screens(ids: dict[str, int | None]) -> dict[str, list[tuple[str, str, str]]]:
    """(file name, title, path) of each screen, per demo account."""
    case, group, appeal, request = ids["case"], ids["group_case"], ids["appeal"], ids["request"]
    return {
        "": [
            ("login", "Sign-in page", "/accounts/login/"),
            ("public-transparency", "Public transparency report", "/transparency/moderation/"),
        ],
        "moderator": [
            ("moderator-dashboard", "Moderator: dashboard", "/"),
            ("moderator-queue", "Moderator: triage queue", "/moderation/"),
            ("moderator-case", "Moderator: a case", f"/moderation/cases/{case}/"),
        ],
        "senior": [
            ("senior-dashboard", "Senior moderator: dashboard", "/"),
            (
                "senior-group-case",
                "Senior: a private group's roll-up",
                f"/moderation/cases/{group}/",
            ),
            ("senior-appeal", "Senior: an appeal", f"/moderation/appeals/{appeal}/"),
            ("senior-metrics", "Senior: team metrics", "/moderation/metrics/"),
            ("senior-search-policy", "Senior: search policy", "/search-policy/"),
            ("senior-detectors", "Senior: detectors", "/signals/detectors/"),
        ],
        "legal": [
            ("legal-dashboard", "Legal officer: dashboard", "/"),
            ("legal-requests", "Legal officer: requests", "/legal/"),
            ("legal-request", "Legal officer: a request", f"/legal/requests/{request}/"),
        ],
        "approver": [
            ("approver-dashboard", "Legal approver: dashboard", "/"),
            (
                "approver-review",
                "Legal approver: the approval screen",
                f"/legal/requests/{request}/review/",
            ),
        ],
        "auditor": [
            ("auditor-dashboard", "Auditor: dashboard", "/"),
            ("auditor-trail", "Auditor: audit trail", "/audit/events/"),
            ("auditor-integrity", "Auditor: integrity", "/audit/integrity/"),
        ],
        "admin": [("admin-dashboard", "Administrator: dashboard", "/")],
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def manage(*args: str, env: dict[str, str], capture: bool = False) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=capture,
        text=True,
    )
    return done.stdout if capture else ""


def sign_in(page: Page, base: str, username: str, env: dict[str, str]) -> None:
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if "/accounts/verify/" in page.url:
        code = manage("demo_code", env=env, capture=True).strip().splitlines()[-1]
        page.get_by_label("Authenticator code").fill(code)
        page.get_by_role("button", name="Verify").click()
        page.wait_for_load_state()


def main() -> int:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("make screenshots needs Chromium (apt-get install chromium)", file=sys.stderr)
        return 1
    var = tempfile.mkdtemp(prefix="tsdash-screens-")
    env = {**os.environ, "VAR_DIR": var, "DEMO_PASSWORD": PASSWORD}
    env.pop("DATABASE_URL", None)  # the embedded SQLite database of the temporary VAR_DIR
    print("Seeding the demo into", var)
    manage("migrate", "--no-input", "-v0", env=env)
    manage("seed_demo", env=env)
    ids = json.loads(manage("shell", "-c", IDS_SCRIPT, env=env, capture=True).splitlines()[-1])
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://localhost:{port}"
    shots: list[tuple[str, str]] = []
    try:
        for _ in range(60):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport=VIEWPORT, locale="en-GB")
            for username, pages in screens(ids).items():
                if username:
                    sign_in(page, base, username, env)
                for name, title, path in pages:
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=str(OUT / f"{name}.png"))
                    shots.append((name, title))
                    print("  ", name)
            # The same moderator screen in French, through the footer's switcher.
            sign_in(page, base, "moderator", env)
            page.get_by_label("Language").select_option("fr")
            page.get_by_role("button", name="Change").click()
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / "moderator-dashboard-fr.png"))
            shots.append(("moderator-dashboard-fr", "Moderator: dashboard, in French"))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(var, ignore_errors=True)
    lines = [
        "# Screens",
        "",
        "The main screens of each role on the demo data, regenerated by `make screenshots`",
        "(scripts/screenshots.py: a fresh demo in a temporary database, Chromium at 1280x800).",
        "",
    ]
    for name, title in shots:
        lines += [f"## {title}", "", f"![{title}](screens/{name}.png)", ""]
    (ROOT / "docs" / "screens.md").write_text("\n".join(lines))
    print(f"{len(shots)} screens in docs/screens/, listed in docs/screens.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
