"""Security headers on every response, and templates that a strict CSP can serve unchanged."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.urls import reverse

ROOT = Path(settings.BASE_DIR)
TEMPLATE_FILES = sorted(
    p
    for pattern in ("templates/**/*.html", "*/templates/**/*.html")
    for p in ROOT.glob(pattern)
    if ".venv" not in p.parts
)
NONCE = re.compile(r"'nonce-([^']+)'")


def _csp(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in header.split(";")
        if part.strip()
    }


def test_csp_header_carries_a_fresh_nonce_on_each_response(db):
    client = Client()

    first = client.get(reverse("accounts:login"))
    second = client.get(reverse("accounts:login"))

    policy = _csp(first)
    assert "'self'" in policy["script-src"]
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert policy["form-action"] == "'self'"
    nonce_1 = NONCE.search(policy["script-src"]).group(1)
    nonce_2 = NONCE.search(_csp(second)["script-src"]).group(1)
    assert nonce_1 != nonce_2


def test_every_script_tag_on_a_page_carries_the_response_nonce(moderator_client):
    response = moderator_client.get(reverse("dashboard"))

    nonce = NONCE.search(_csp(response)["script-src"]).group(1)
    tags = re.findall(r"<script\b[^>]*>", response.content.decode())
    assert tags
    for tag in tags:
        assert f'nonce="{nonce}"' in tag, tag


def test_templates_have_no_inline_styles_handlers_or_unnonced_scripts():
    assert TEMPLATE_FILES
    offences = []
    for path in TEMPLATE_FILES:
        text = path.read_text()
        for pattern in (r"\sstyle\s*=", r"<style\b", r"\son[a-z]+\s*="):
            offences += [f"{path}: {m.group(0)!r}" for m in re.finditer(pattern, text, re.I)]
        for tag in re.findall(r"<script\b[^>]*>", text, re.I):
            if "nonce=" not in tag and "src=" not in tag:
                offences.append(f"{path}: {tag}")
    assert offences == []


def test_clickjacking_referrer_and_sniffing_headers_are_set(db):
    response = Client().get(reverse("accounts:login"))

    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_production_settings_keep_hsts(monkeypatch):
    from tests.config.helpers import PRODUCTION

    for name, value in PRODUCTION.items():
        if name != "DJANGO_SETTINGS_MODULE":
            monkeypatch.setenv(name, value)
    import importlib

    import config.settings.production as production

    production = importlib.reload(production)

    assert production.SECURE_HSTS_SECONDS >= 31_536_000
    assert production.SECURE_HSTS_INCLUDE_SUBDOMAINS is True
    assert production.SESSION_COOKIE_SECURE is True
    assert production.SECURE_CSP["script-src"] == settings.SECURE_CSP["script-src"]
