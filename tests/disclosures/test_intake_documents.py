"""
The order document sent with a request: stored privately with its digest, served back under
a safe name and type, and refused while it streams in when it is too large.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.urls import reverse

from disclosures.exceptions import InvalidRequest
from disclosures.models import LegalRequest
from disclosures.services import intake
from disclosures.services.intake import RequestInput
from tests.disclosures.helpers import PDF, form_data, nothing_written, request_events, upload

# Private files go to a fresh folder per test (tests/disclosures/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_storage")]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


# --- The order document -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (PDF, "order.pdf", "application/pdf"),
        (PNG, "scan.png", "image/png"),
        (JPEG, "s.jpg", "image/jpeg"),
    ],
)
def test_document_is_stored_privately_with_its_sha256(
    legal, valid, private_storage, content, name, content_type
):
    request = intake.request_register(
        actor=legal, data=valid, document=upload(content, name, content_type)
    )

    request.refresh_from_db()
    digest = hashlib.sha256(content).hexdigest()
    assert request.document_sha256 == digest
    assert (request.document_name, request.document_content_type) == (name, content_type)
    assert request.document_size == len(content)
    assert request.document.startswith("documents/")
    stored = private_storage / request.document
    assert stored.read_bytes() == content
    assert name not in request.document  # random file name
    assert request_events("document.stored", request).get().data["sha256"] == digest


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        (PNG, "application/pdf", "was sent as"),
        (PDF, "image/png", "was sent as"),
        (b"MZ\x90\x00 an executable", "application/pdf", "Only PDF"),
        (b"<html><script>alert(1)</script>", "text/html", "Only PDF"),
        (b"", "application/pdf", "empty"),
    ],
)
def test_document_with_wrong_type_is_refused(
    legal, valid, private_storage, content, content_type, message
):
    with pytest.raises(InvalidRequest) as refused:
        intake.request_register(
            actor=legal, data=valid, document=upload(content, "x.pdf", content_type)
        )

    assert message in refused.value.errors["document"][0]
    nothing_written(private_storage)


def test_document_over_the_size_limit_is_refused(legal, valid, private_storage, settings):
    settings.DOCUMENT_MAX_BYTES = len(PDF) - 1

    with pytest.raises(InvalidRequest) as refused:
        intake.request_register(actor=legal, data=valid, document=upload())

    assert "larger" in refused.value.errors["document"][0]
    nothing_written(private_storage)


def test_document_at_the_size_limit_is_accepted(legal, valid, settings):
    settings.DOCUMENT_MAX_BYTES = len(PDF)

    request = intake.request_register(actor=legal, data=valid, document=upload())

    assert request.document_size == len(PDF)


def test_request_without_document_is_accepted(legal, valid):
    request = intake.request_register(actor=legal, data=valid)

    assert (request.document, request.document_sha256) == ("", "")
    assert not request_events("document.stored").exists()


# --- The order document's download name and type ---------------------------------------------


def download(client, legal_request: LegalRequest):
    response = client.get(reverse("disclosures:request_document", args=[legal_request.pk]))
    assert response.status_code == 200
    return response


@pytest.mark.parametrize(
    ("content", "name", "content_type", "served"),
    [
        (PDF, "order.png", "application/pdf", "order.pdf"),
        (PDF, "order.pdf.exe", "application/pdf", "order.pdf"),
        (JPEG, "order.pdf", "image/jpeg", "order.jpg"),
        (PNG, "scan.JPEG", "image/png", "scan.png"),
        (PDF, "order", "application/pdf", "order.pdf"),
    ],
)
def test_document_is_served_under_the_extension_of_its_content(
    legal_client, legal, valid, content, name, content_type, served
):
    request = intake.request_register(
        actor=legal, data=valid, document=upload(content, name, content_type)
    )

    response = download(legal_client, request)

    assert response["Content-Disposition"] == f'attachment; filename="{served}"'
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == content


def test_document_name_loses_its_path_and_unsafe_characters(legal_client, legal, valid):
    request = intake.request_register(
        actor=legal, data=valid, document=upload(name="../../x/réquisition (n°2).pdf")
    )

    response = download(legal_client, request)

    assert response["Content-Disposition"] == 'attachment; filename="requisition_n2.pdf"'


@pytest.mark.parametrize(
    ("stored_name", "served"),
    [
        ('..\\..\\Windows\\evil"; filename=x.exe', "evil_filename_x.pdf"),
        ("C:\\orders\\order.pdf\r\nX-Injected: 1", "order.pdf"),
        ("/etc/passwd", "passwd.pdf"),
        ("....", "order-{pk}.pdf"),
        ("", "{reference}.pdf"),
    ],
)
def test_document_name_recorded_with_path_characters_is_served_safe(
    legal_client, legal, valid, stored_name, served
):
    request = intake.request_register(actor=legal, data=valid, document=upload())
    LegalRequest.objects.filter(pk=request.pk).update(document_name=stored_name)

    response = download(legal_client, request)

    expected = served.format(pk=request.pk, reference=request.reference)
    assert response["Content-Disposition"] == f'attachment; filename="{expected}"'
    assert "\n" not in response["Content-Disposition"]


def test_document_type_is_read_from_its_bytes_not_from_the_record(legal_client, legal, valid):
    request = intake.request_register(actor=legal, data=valid, document=upload())
    LegalRequest.objects.filter(pk=request.pk).update(
        document_content_type="text/html", document_name="order.html"
    )

    response = download(legal_client, request)

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="order.pdf"'


# --- Oversized documents: refused while they stream in ------------------------------------


def _form_in_page_order(valid: RequestInput, document: Any) -> dict[str, Any]:
    """The form's fields in the order a browser sends them: the document comes mid-form."""
    data = form_data(valid)
    ordered: dict[str, Any] = {}
    for key, value in data.items():
        ordered[key] = value
        if key == "received_at":
            ordered["document"] = document
    return ordered


@pytest.fixture
def stored_upload_bytes(monkeypatch) -> list[int]:
    """Bytes handed to Django's storing upload handlers (memory or temporary file)."""
    from django.core.files import uploadhandler

    received: list[int] = []
    for handler in (
        uploadhandler.MemoryFileUploadHandler,
        uploadhandler.TemporaryFileUploadHandler,
    ):
        original = handler.receive_data_chunk

        def counting(self, raw_data, start, _original=original):  # type: ignore[no-untyped-def]
            if getattr(self, "activated", True):  # the memory handler passes on when inactive
                received.append(len(raw_data))
            return _original(self, raw_data, start)

        monkeypatch.setattr(handler, "receive_data_chunk", counting)
    return received


def test_document_over_the_limit_is_refused_while_streaming_and_the_form_kept(
    legal_client, valid, private_storage, settings, stored_upload_bytes
):
    settings.DOCUMENT_MAX_BYTES = 100_000
    document = upload(PDF + b"\x00" * 1_000_000)

    response = legal_client.post(
        reverse("disclosures:request_new"), _form_in_page_order(valid, document)
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "The document is larger than 0.1 MB." in body
    # Fields sent after the document were still read: the officer keeps what they typed.
    assert valid.statement_of_reasons in body
    # No more than the limit was ever stored, not the whole megabyte.
    assert 0 < sum(stored_upload_bytes) <= settings.DOCUMENT_MAX_BYTES
    nothing_written(private_storage)


def test_refused_document_leaves_no_temporary_file(
    legal_client, valid, private_storage, settings, tmp_path, stored_upload_bytes
):
    # Over FILE_UPLOAD_MAX_MEMORY_SIZE: the upload streams to a temporary file on disk.
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    (tmp_path / "uploads").mkdir()
    settings.DOCUMENT_MAX_BYTES = 3_000_000
    document = upload(PDF + b"\x00" * 4_000_000)

    response = legal_client.post(
        reverse("disclosures:request_new"), _form_in_page_order(valid, document)
    )

    assert response.status_code == 200
    assert "The document is larger than 3.0 MB." in response.content.decode()
    assert sum(stored_upload_bytes) <= settings.DOCUMENT_MAX_BYTES
    assert list((tmp_path / "uploads").iterdir()) == []
    nothing_written(private_storage)


def test_document_at_the_limit_is_registered_through_the_form(legal_client, valid, settings):
    settings.DOCUMENT_MAX_BYTES = len(PDF)

    response = legal_client.post(
        reverse("disclosures:request_new"), _form_in_page_order(valid, upload())
    )

    assert response.status_code == 302
    assert LegalRequest.objects.get().document_size == len(PDF)


def test_intake_over_the_request_limit_is_refused_before_parsing(
    legal_client, valid, private_storage, settings, stored_upload_bytes
):
    settings.MAX_REQUEST_BODY_BYTES = 50_000

    response = legal_client.post(
        reverse("disclosures:request_new"),
        _form_in_page_order(valid, upload(PDF + b"\x00" * 60_000)),
    )

    assert response.status_code == 413
    assert stored_upload_bytes == []
    nothing_written(private_storage)


def test_intake_still_checks_the_csrf_token(legal, valid, private_storage):
    from django.test import Client

    from tests.utils import login_verified

    client = login_verified(Client(enforce_csrf_checks=True), legal)

    response = client.post(reverse("disclosures:request_new"), form_data(valid, document=upload()))

    assert response.status_code == 403
    nothing_written(private_storage)
