"""
Arbitrary input at the API and the main forms: never a 500, always a message, and a
refused request writes nothing.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from accounts.roles import Role
from accounts.token_services import api_token_issue
from accounts.tokens import Scope
from audit.forms import EventFilterForm
from disclosures.forms import RequestForm
from disclosures.models import LegalRequest, SubscriberIp
from moderation.forms import DecisionForm, QueueFilterForm
from moderation.models import Appeal, Case, Decision, Media, Report
from moderation.services import claims
from tests.api.conftest import APPEALS_URL, REPORTS_URL, ApiClient
from tests.api.payloads import report_json
from tests.moderation.factories import make_case
from tests.utils import login_verified

pytestmark = pytest.mark.django_db

SUBSCRIBER_DATA_URL = "/api/v1/subscriber-data"

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text the test client can send: any code point but lone surrogates, which cannot be
# encoded at all (a browser cannot send them either).
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)
huge_text = st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=4), st.integers(1, 30_000))
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
    | huge_text
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(text, children, max_size=5),
    max_leaves=25,
)


def _mutated(valid: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A valid body with some of its fields replaced by arbitrary values."""
    return st.dictionaries(st.sampled_from(sorted(valid)), json_values, max_size=4).map(
        lambda changes: {**valid, **changes}
    )


def rows() -> tuple[int, ...]:
    return tuple(
        model.objects.count() for model in (Report, Case, Appeal, SubscriberIp, LegalRequest)
    )


def assert_json_answer(response: Any) -> None:
    assert response.status_code != 500
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    if response.status_code >= 400:
        assert isinstance(body["detail"], str)
        assert body["detail"]


@pytest.fixture
def token_client(db):
    def make(scope: str) -> ApiClient:
        _, secret = api_token_issue(name=f"fuzz-{scope}", scopes=[scope])
        return ApiClient(secret)

    return make


ENDPOINTS = [
    (REPORTS_URL, Scope.REPORTS),
    (APPEALS_URL, Scope.APPEALS),
    (SUBSCRIBER_DATA_URL, Scope.SUBSCRIBER_DATA),
]
VALID = {
    REPORTS_URL: report_json(),
    APPEALS_URL: {
        "external_id": "fuzz-appeal",
        "decision_puid": "tsd-00000000-0000-0000-0000-000000000000",
        "appellant_id": "fuzz-account",
        "reason": "It was a joke.",
        "submitted_at": "2026-11-01T12:00:00Z",
    },
    SUBSCRIBER_DATA_URL: {
        "records": [
            {
                "account_id": "acct-fuzz",
                "phone": "+33 6 12 34 56 78",
                "ip": "203.0.113.7",
                "port": 443,
                "seen_at": "2026-10-05T12:00:00Z",
            }
        ]
    },
}


def _api_bodies(url: str) -> st.SearchStrategy[Any]:
    valid = VALID[url]
    shaped = _mutated(valid)
    if url == SUBSCRIBER_DATA_URL:
        shaped = _mutated(valid["records"][0]).map(lambda r: {"records": [r]})
    return json_values | shaped | st.lists(shaped, max_size=3)


@pytest.mark.parametrize(("url", "scope"), ENDPOINTS, ids=[u for u, _ in ENDPOINTS])
def test_api_arbitrary_json_never_fails_and_refusals_write_nothing(url, scope, token_client):
    client = token_client(scope)

    @FUZZ
    @given(body=_api_bodies(url))
    def check(body: Any) -> None:
        before = rows()
        response = client.post(url, body)
        assert_json_answer(response)
        if response.status_code >= 400:
            assert rows() == before

    check()


malformed = (
    st.binary(max_size=500)
    | st.builds(
        lambda s, k: s[:k], st.just(json.dumps(report_json()).encode()), st.integers(0, 300)
    )
    | st.builds(lambda n: b"[" * n, st.integers(1, 100_000))
    | st.just(b"\xff\xfe{}")
)


@pytest.mark.parametrize(("url", "scope"), ENDPOINTS, ids=[u for u, _ in ENDPOINTS])
def test_api_malformed_bodies_are_a_4xx_with_a_message(url, scope, token_client):
    client = token_client(scope)

    @FUZZ
    @given(raw=malformed)
    def check(raw: bytes) -> None:
        try:
            json.loads(raw)
        except (ValueError, RecursionError):
            pass
        else:
            return  # happens to be valid JSON: covered by the test above
        before = rows()
        response = client.post(url, raw, raw=True)
        assert_json_answer(response)
        assert 400 <= response.status_code < 500
        assert rows() == before

    check()


MEDIA_URL = "/api/v1/media"


def _picture(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").resize((48, 32)).convert("RGB").save(out, format=fmt)
    return out.getvalue()


VALID_MEDIA = [_picture(fmt) for fmt in ("JPEG", "PNG", "GIF", "WEBP")]
MAGIC = [
    b"\xff\xd8\xff\xe0",
    b"\x89PNG\r\n\x1a\n",
    b"GIF89a",
    b"RIFF\x00\x01\x00\x00WEBPVP8 ",
    b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41",
    b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ",
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm",
    b"%PDF-1.7\n",
    b"<svg ",
]


def _corrupted(valid: bytes) -> st.SearchStrategy[bytes]:
    """A valid file with a few bytes changed, or cut short."""
    changes = st.lists(st.tuples(st.integers(0, len(valid) - 1), st.integers(0, 255)), max_size=8)

    def apply(edits: list[tuple[int, int]], cut: int) -> bytes:
        data = bytearray(valid)
        for position, value in edits:
            data[position] = value
        return bytes(data[:cut])

    return st.builds(apply, changes, st.integers(0, len(valid)))


media_bodies = (
    st.binary(max_size=2000)
    | st.builds(lambda magic, tail: magic + tail, st.sampled_from(MAGIC), st.binary(max_size=2000))
    | st.one_of(*[_corrupted(valid) for valid in VALID_MEDIA])
)


def _media_files(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def test_media_api_arbitrary_bytes_never_fail_and_refusals_store_nothing(
    token_client, settings, tmp_path
):
    settings.PRIVATE_STORAGE_DIR = tmp_path / "private"
    client = token_client(Scope.MEDIA)
    content_types = st.sampled_from(
        ["application/octet-stream", "image/jpeg", "video/mp4", "", "text/plain"]
    )

    @FUZZ
    @given(raw=media_bodies, content_type=content_types)
    def check(raw: bytes, content_type: str) -> None:
        before = (Media.objects.count(), _media_files(tmp_path))
        response = client.post(MEDIA_URL, raw, raw=True, content_type=content_type)
        assert_json_answer(response)
        if response.status_code >= 400:
            assert 400 <= response.status_code < 500
            assert (Media.objects.count(), _media_files(tmp_path)) == before
        else:
            assert response.status_code in {200, 201}
            assert Media.objects.filter(sha256=response.json()["sha256"]).exists()

    check()


def _form_data(form_class: type) -> st.SearchStrategy[dict[str, Any]]:
    """Arbitrary strings (or lists of them) under the form's field names, and stray keys."""
    names = st.sampled_from(sorted(form_class.base_fields)) | text.filter(bool)
    values = text | huge_text | st.lists(text, max_size=3)
    return st.dictionaries(names, values, max_size=8)


def assert_page_or_refusal(response: Any) -> None:
    assert response.status_code != 500
    assert response.status_code in {200, 302} or 400 <= response.status_code < 500


def _client(make_user, role: Role) -> tuple[Any, Client]:
    user = make_user(role)
    client = Client()
    login_verified(client, user)
    return user, client


def test_queue_filter_takes_any_query_string(make_user):
    _, client = _client(make_user, Role.MODERATOR)
    url = reverse("moderation:home")

    @FUZZ
    @given(query=_form_data(QueueFilterForm))
    def check(query: dict[str, Any]) -> None:
        before = rows()
        assert_page_or_refusal(client.get(url, query))
        assert rows() == before

    check()


def test_audit_event_filter_takes_any_query_string(make_user):
    _, client = _client(make_user, Role.AUDITOR)
    url = reverse("audit:events")

    @FUZZ
    @given(query=_form_data(EventFilterForm))
    def check(query: dict[str, Any]) -> None:
        assert_page_or_refusal(client.get(url, query))

    check()


def test_decision_form_refuses_garbage_with_a_form_error(make_user):
    moderator, client = _client(make_user, Role.MODERATOR)
    case = make_case()
    claims.case_claim(case_id=case.pk, actor=moderator)
    url = reverse("moderation:case_decide", kwargs={"case_id": case.pk})

    @FUZZ
    @given(data=_form_data(DecisionForm))
    def check(data: dict[str, Any]) -> None:
        decisions = Decision.objects.count()
        response = client.post(url, data)
        assert_page_or_refusal(response)
        if response.status_code == 200:
            assert response.context["form"].errors
            assert Decision.objects.count() == decisions

    check()


def test_request_intake_form_refuses_garbage_with_a_form_error(make_user):
    _, client = _client(make_user, Role.LEGAL_OFFICER)
    url = reverse("disclosures:request_new")

    @FUZZ
    @given(data=_form_data(RequestForm))
    def check(data: dict[str, Any]) -> None:
        before = rows()
        response = client.post(url, data)
        assert_page_or_refusal(response)
        if response.status_code != 302:
            assert rows() == before
        if response.status_code == 200:
            assert response.context["form"].errors

    check()


def test_the_second_step_and_the_step_up_refuse_garbage_and_grant_nothing(make_user, settings):
    """No typed value verifies a session or makes a step-up fresh, and none is a 500."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts import reauth
    from tests.utils import authenticator_for, login_verified, set_step_up

    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    # Wrong codes and step-ups count towards the lockout, which would end both sessions after
    # five examples; the lockout has its own tests (tests/accounts/test_signin_hardening.py).
    settings.AXES_FAILURE_LIMIT = 100_000
    settings.AXES_IP_FAILURE_LIMIT = 100_000
    user = make_user(Role.LEGAL_APPROVER)
    authenticator_for(user)
    client = Client(raise_request_exception=False)
    client.force_login(user)  # the password step only
    signed_in = login_verified(Client(raise_request_exception=False), user)
    for each in (client, signed_in):
        set_step_up(each, age_seconds=None)
    fields = st.sampled_from(["code", "password", "next"]) | text.filter(bool)
    data = st.dictionaries(fields, text | huge_text | st.lists(text, max_size=3), max_size=5)

    @FUZZ
    @given(verify=data, confirm=data)
    def check(verify: dict[str, Any], confirm: dict[str, Any]) -> None:
        assert_page_or_refusal(client.post(reverse("accounts:verify"), verify))
        assert DEVICE_ID_SESSION_KEY not in client.session
        response = signed_in.post(reverse("accounts:reauth"), confirm)
        assert_page_or_refusal(response)
        assert response.status_code == 200  # the form again, with its message
        assert not reauth.is_fresh(signed_in.session.get(reauth.SESSION_KEY))

    check()
