"""The API validates the PDQ hash a platform sends for media it keeps itself."""

from __future__ import annotations

import pytest

from moderation.models import Report
from tests.api.conftest import REPORTS_URL
from tests.api.payloads import report_json

pytestmark = pytest.mark.django_db

NEAR = "f" * 32 + "0" * 31 + "f"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("media_pdq", "xyz", "64 hexadecimal characters (a PDQ hash)"),
        ("media_pdq", "0" * 64, "all-zero"),
        ("media_pdq_quality", 101, "100"),
    ],
)
def test_a_malformed_pdq_or_quality_is_refused_and_nothing_stored(api, field, value, expected):
    body = report_json(**{"subject__media_pdq": NEAR, f"subject__{field}": value})

    response = api.post(REPORTS_URL, body)

    assert response.status_code == 422
    assert expected in str(response.json())
    assert not Report.objects.exists()


def test_a_sha256_error_still_names_a_sha256(api):
    response = api.post(REPORTS_URL, report_json(subject__media_sha256="xyz"))

    assert response.status_code == 422
    assert "(a SHA-256)" in str(response.json())


def test_a_platform_pdq_is_stored_lower_case_with_its_quality(api):
    response = api.post(
        REPORTS_URL,
        report_json(subject__media_pdq=NEAR.upper(), subject__media_pdq_quality=77),
    )

    assert response.status_code == 201, response.json()
    report = Report.objects.get()
    assert (report.media_pdq, report.media_pdq_quality) == (NEAR, 77)
