"""
French: a complete catalogue (every string of the code and templates translated, nothing
fuzzy), a switcher that remembers the choice, pages that render in French.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.roles import Role
from tests.utils import login_verified

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def _count(option: str, po: Path) -> int:
    out = subprocess.run(
        ["msgattrib", option, "--no-obsolete", str(po)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # The header is an untranslated-looking entry of its own (msgid "").
    return sum(1 for line in out.splitlines() if line.startswith("msgid ") and line != 'msgid ""')


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs gettext (CI has it)")
def test_the_french_catalogue_covers_every_string_of_the_code_and_templates():
    """
    makemessages merges every translatable string of the tree into the catalogue: a string
    added without its translation shows up as untranslated. The catalogue is put back after.
    """
    original = CATALOGUE.read_bytes()
    try:
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "makemessages",
                "-l",
                "fr",
                "--ignore=.venv",
                "--ignore=node_modules",
                "--ignore=tests",
                "--ignore=bench",
                "--no-obsolete",
                "-v0",
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        untranslated = _count("--untranslated", CATALOGUE)
        fuzzy = _count("--only-fuzzy", CATALOGUE)
    finally:
        CATALOGUE.write_bytes(original)
    assert (untranslated, fuzzy) == (0, 0), (
        "run `manage.py makemessages -l fr`, translate the new strings in "
        f"{CATALOGUE.relative_to(ROOT)} and remove their fuzzy flags"
    )


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs gettext (CI has it)")
def test_the_catalogue_compiles_without_a_format_error(tmp_path):
    subprocess.run(
        ["msgfmt", "-c", "--check-format", "-o", str(tmp_path / "fr.mo"), str(CATALOGUE)],
        check=True,
        capture_output=True,
    )


@pytest.mark.django_db
def test_the_switcher_remembers_french_and_pages_render_in_it(client, make_user):
    response = client.post(reverse("language_set"), {"language": "fr", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "fr"

    page = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="fr">' in page
    assert "Se connecter" in page

    login_verified(client, make_user(Role.MODERATOR))
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "Tableau de bord" in dashboard
    assert "Dashboard<" not in dashboard
    assert '<span class="badge role">Modérateur</span>' in dashboard  # the role's name too


@pytest.mark.django_db
def test_the_switcher_refuses_an_unknown_language_and_an_outside_next(client):
    response = client.post(
        reverse("language_set"), {"language": "xx", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "django_language" not in response.cookies
    assert client.get(reverse("accounts:login")).content.decode().count('<html lang="en">') == 1
