"""Importing hashes into a bank: the three formats, all-or-nothing, duplicates, limits."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from signals import hash_import, services
from signals.models import BankedHash

pytestmark = pytest.mark.django_db

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
PDQ2 = "0" * 63 + "1"
MD5 = "cab08b36195edb1a1231d2d09fa450e0"
SHA = "a" * 64


@pytest.fixture
def senior(make_user):
    return make_user(Role.SENIOR_MODERATOR)


@pytest.fixture
def bank(senior):
    return services.bank_create(name="KNOWN_SPAM", actor=senior)


def stored(bank) -> set[tuple[str, str]]:
    return set(BankedHash.objects.filter(bank=bank).values_list("signal_type", "value"))


def test_import_reads_the_pytx_csv_export(bank, senior):
    text = (
        "signal_type,signal_str,collab,category,tags\n"
        f"pdq,{PDQ},Sample Collab,known_spam,spam campaign-7\n"
        f'video_md5,{MD5},Sample Collab,,"a, b"\n'
        f"video_sha256,{SHA.upper()},,,\n"
    )

    result = services.hashes_import(bank=bank, text=text, actor=senior)

    assert result.added == {"pdq": 1, "md5": 1, "sha256": 1}
    assert stored(bank) == {("pdq", PDQ), ("md5", MD5), ("sha256", SHA)}
    pdq = BankedHash.objects.get(bank=bank, signal_type="pdq")
    assert (pdq.label, pdq.tags, pdq.added_by) == ("known_spam", ["spam", "campaign-7"], senior)
    assert BankedHash.objects.get(bank=bank, signal_type="md5").tags == ["a", "b"]


def test_import_reads_the_minimal_csv(bank, senior):
    text = f"signal_type,signal_str\npdq,{PDQ.upper()}\nmd5,{MD5}\n"

    result = services.hashes_import(bank=bank, text=text, actor=senior)

    assert result.added_total == 2
    assert stored(bank) == {("pdq", PDQ), ("md5", MD5)}


def test_import_reads_hma_local_file_lines(bank, senior):
    text = f"# from the local_file exchange\npdq {PDQ}\n\nvideo_md5 {MD5}\r\nsha256 {SHA}\n"

    result = services.hashes_import(bank=bank, text=text, actor=senior)

    assert result.added == {"pdq": 1, "md5": 1, "sha256": 1}


def test_import_with_one_hash_makes_a_one_item_bank(bank, senior):
    services.hashes_import(bank=bank, text=f"pdq {PDQ}", actor=senior)

    assert stored(bank) == {("pdq", PDQ)}


def test_import_with_bad_lines_imports_nothing_and_lists_every_line(bank, senior):
    text = (
        "signal_type,signal_str,collab,category,tags\n"
        f"pdq,{PDQ},,,\n"
        "pdq,abc,,,\n"  # line 3: too short
        f"tmk,{PDQ},,,\n"  # line 4: unknown type
        f"md5,{SHA},,,\n"  # line 5: an md5 is 32 characters
        f"sha256,{'g' * 64},,,\n"  # line 6: not hex
        f"pdq,{'0' * 64},,,\n"  # line 7: all zero
    )

    with pytest.raises(services.ImportRejected) as refused:
        services.hashes_import(bank=bank, text=text, actor=senior)

    assert [line for line, _ in refused.value.line_errors] == [3, 4, 5, 6, 7]
    assert "unknown signal type “tmk”" in refused.value.line_errors[1][1]
    assert not BankedHash.objects.filter(bank=bank).exists()
    assert not AuditEvent.objects.filter(action="hash_bank.hashes_imported").exists()


def test_import_of_malformed_local_file_lines_names_them(bank, senior):
    text = f"pdq {PDQ}\npdq\nmd5 {MD5} extra\n"

    with pytest.raises(services.ImportRejected) as refused:
        services.hashes_import(bank=bank, text=text, actor=senior)

    assert [line for line, _ in refused.value.line_errors] == [2, 3]


def test_import_refuses_a_csv_without_its_header(bank, senior):
    with pytest.raises(services.ImportRejected) as refused:
        services.hashes_import(bank=bank, text=f"pdq,{PDQ}\n", actor=senior)

    assert refused.value.line_errors[0][0] == 1


def test_import_counts_duplicates_in_the_file_and_in_the_bank(bank, senior):
    services.hashes_import(bank=bank, text=f"pdq {PDQ}\n", actor=senior)
    text = f"pdq {PDQ}\npdq {PDQ2}\npdq {PDQ2.upper()}\nmd5 {MD5}\n"

    result = services.hashes_import(bank=bank, text=text, actor=senior)

    assert result.added == {"pdq": 1, "md5": 1, "sha256": 0}
    assert (result.duplicates_in_file, result.already_in_bank) == (1, 1)
    assert BankedHash.objects.filter(bank=bank).count() == 3


def test_import_counts_a_disabled_hash_as_already_in_the_bank(bank, senior):
    services.hashes_import(bank=bank, text=f"pdq {PDQ}\n", actor=senior)
    services.hash_disable(hash_id=BankedHash.objects.get().pk, actor=senior)

    result = services.hashes_import(bank=bank, text=f"pdq {PDQ}\n", actor=senior)

    assert (result.added_total, result.already_in_bank) == (0, 1)
    assert BankedHash.objects.get().disabled_at is not None


def test_import_refuses_too_many_lines(bank, senior, monkeypatch):
    monkeypatch.setattr(hash_import, "MAX_IMPORT_LINES", 3)

    with pytest.raises(services.ImportRejected) as refused:
        services.hashes_import(bank=bank, text=f"pdq {PDQ}\n" * 4, actor=senior)

    assert "more than 3 lines" in refused.value.line_errors[0][1]
    assert not BankedHash.objects.exists()


def test_import_refuses_too_many_bytes(bank, senior, monkeypatch):
    monkeypatch.setattr(hash_import, "MAX_IMPORT_BYTES", 100)

    with pytest.raises(services.ImportRejected):
        services.hashes_import(bank=bank, text=f"pdq {PDQ}\n" * 2, actor=senior)


def test_import_writes_one_audit_event_with_the_counts(bank, senior):
    services.hashes_import(bank=bank, text=f"pdq {PDQ}\npdq {PDQ}\n", actor=senior)

    event = AuditEvent.objects.get(action="hash_bank.hashes_imported")
    assert event.target_id == str(bank.pk)
    assert event.data == {
        "added": {"pdq": 1, "md5": 0, "sha256": 0},
        "duplicates_in_file": 1,
        "already_in_bank": 0,
    }


def test_import_is_refused_to_a_moderator(bank, make_user):
    with pytest.raises(services.NotAllowed):
        services.hashes_import(bank=bank, text=f"pdq {PDQ}", actor=make_user(Role.MODERATOR))


# --- The import page -------------------------------------------------------------------------


def test_import_page_imports_pasted_text(bank, senior, client_for):
    url = reverse("signals:bank_import", args=[bank.pk])

    response = client_for(senior).post(url, {"text": f"pdq {PDQ}\nmd5 {MD5}\n"})

    assert response.status_code == 302
    assert response["Location"] == reverse("signals:bank", args=[bank.pk])
    assert len(stored(bank)) == 2


def test_import_page_imports_an_uploaded_file(bank, senior, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "hashes.csv", f"\ufeffsignal_type,signal_str\npdq,{PDQ}\n".encode(), "text/csv"
    )
    url = reverse("signals:bank_import", args=[bank.pk])

    response = client_for(senior).post(url, {"file": upload})

    assert response.status_code == 302
    assert stored(bank) == {("pdq", PDQ)}


def test_import_page_shows_line_numbered_errors_in_an_error_summary(bank, senior, client_for):
    url = reverse("signals:bank_import", args=[bank.pk])

    response = client_for(senior).post(url, {"text": f"pdq {PDQ}\npdq nope\nxx {MD5}\n"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Line 2: a pdq hash is 64 hexadecimal characters." in body
    assert "Line 3: unknown signal type" in body
    assert "2 lines are not valid, so nothing was imported" in body
    assert not BankedHash.objects.exists()


def test_import_page_needs_some_input(bank, senior, client_for):
    url = reverse("signals:bank_import", args=[bank.pk])

    response = client_for(senior).post(url, {"text": "  "})

    assert response.status_code == 200
    assert "Paste the hashes or upload a file." in response.content.decode()


def test_import_page_is_forbidden_to_a_moderator(bank, make_user, client_for):
    url = reverse("signals:bank_import", args=[bank.pk])
    client = client_for(make_user(Role.MODERATOR))

    assert client.get(url).status_code == 403
    assert client.post(url, {"text": f"pdq {PDQ}"}).status_code == 403
    assert not BankedHash.objects.exists()
