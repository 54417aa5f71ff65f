"""The case page's media: renditions by reveal, the recorded original, who may see what."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.roles import Role
from audit.models import AuditEvent
from moderation import media_storage
from moderation.models import Case, Media
from moderation.services.media import media_ingest
from tests.moderation.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_DIR = tmp_path / "private"
    return settings.PRIVATE_STORAGE_DIR


def jpeg(size: tuple[int, int] = (800, 600), shade: int = 0) -> bytes:
    out = io.BytesIO()
    image = Image.linear_gradient("L").resize(size).point(lambda v: (v + shade) % 256)
    image.convert("RGB").save(out, format="JPEG")
    return out.getvalue()


def mp4() -> bytes:
    ftyp = b"\x00\x00\x00\x10ftypisom\x00\x00\x02\x00"
    return ftyp + b"\x00\x00\x00\x10mdat" + b"\x00" * 8


@pytest.fixture
def media() -> Media:
    return media_ingest(data=jpeg()).media


@pytest.fixture
def case(media) -> Case:
    return make_case(subject__media_sha256=media.sha256, subject__content_type="image")


def url(case: Case, name: str) -> str:
    return reverse(f"moderation:{name}", args=[case.pk, case.reports.get().pk])


def page(client, case: Case) -> str:
    response = client.get(reverse("moderation:case", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def reveal(client, case: Case, **headers) -> object:
    return client.post(url(case, "media_reveal"), headers=headers)


def escalated_to_legal(case: Case) -> Case:
    Case.objects.filter(pk=case.pk).update(escalation=Case.Escalation.LEGAL)
    return case


@pytest.fixture
def legal_client(make_user, client_for):
    return client_for(make_user(Role.LEGAL_OFFICER))


# --- The rendition ------------------------------------------------------------------------------


def test_the_rendition_is_the_guard_until_this_session_reveals_it(moderator_client, case, media):
    before = moderator_client.get(url(case, "media_rendition"))

    assert before.status_code == 200
    assert before["Content-Type"] == "image/webp"
    assert before["Cache-Control"] == "private, no-store"
    assert before["X-Content-Type-Options"] == "nosniff"
    assert before.content == media_storage.media_read(media.sha256, "guard")

    assert reveal(moderator_client, case).status_code == 302
    after = moderator_client.get(url(case, "media_rendition"))

    assert after.content == media_storage.media_read(media.sha256, "view")
    assert after["Cache-Control"] == "private, no-store"


def test_a_reveal_in_one_session_does_not_reveal_in_another(
    moderator_client, case, media, make_user, client_for
):
    reveal(moderator_client, case)
    colleague = client_for(make_user(Role.MODERATOR))

    response = colleague.get(url(case, "media_rendition"))

    assert response.content == media_storage.media_read(media.sha256, "guard")


def test_the_rendition_needs_a_login_and_a_role_that_opens_the_case(
    client, case, make_user, client_for, legal_client
):
    assert client.get(url(case, "media_rendition"))["Location"].startswith("/accounts/login/")
    assert client_for(make_user(Role.AUDITOR)).get(url(case, "media_rendition")).status_code == 403
    assert legal_client.get(url(case, "media_rendition")).status_code == 404  # not escalated

    escalated_to_legal(case)

    assert legal_client.get(url(case, "media_rendition")).status_code == 200


def test_a_report_of_another_case_is_404(moderator_client, case):
    other = make_case()
    wrong = reverse("moderation:media_rendition", args=[other.pk, case.reports.get().pk])

    assert moderator_client.get(wrong).status_code == 404


def test_media_not_received_or_purged_has_no_rendition(moderator_client, media):
    unreceived = make_case(subject__media_sha256="ab" * 32)
    assert moderator_client.get(url(unreceived, "media_rendition")).status_code == 404
    without = make_case()
    assert moderator_client.get(url(without, "media_rendition")).status_code == 404

    case = make_case(subject__media_sha256=media.sha256)
    media_storage.media_delete(media.sha256)
    Media.objects.filter(pk=media.pk).update(purged_at=timezone.now())

    assert moderator_client.get(url(case, "media_rendition")).status_code == 404


# --- The original -------------------------------------------------------------------------------


def test_a_senior_moderator_downloads_the_original_and_it_is_recorded(senior_client, senior, case):
    data = jpeg()

    response = senior_client.get(url(case, "media_original"))

    assert response.status_code == 200
    assert response.content == data
    assert response["Content-Type"] == "image/jpeg"
    sha256 = case.reports.get().media_sha256
    assert response["Content-Disposition"] == f'attachment; filename="{sha256}.jpg"'
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    event = AuditEvent.objects.get(action="media.viewed")
    assert event.actor == senior
    assert (event.target_type, event.target_id) == ("moderation.case", str(case.pk))
    assert event.data == {
        "report": case.reports.get().pk,
        "media_sha256": sha256,
        "variant": "original",
    }


def test_every_download_of_the_original_writes_exactly_one_event(senior_client, case):
    for expected in (1, 2, 3):
        assert senior_client.get(url(case, "media_original")).status_code == 200
        assert AuditEvent.objects.filter(action="media.viewed").count() == expected


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.MODERATOR, 403),
        (Role.AUDITOR, 403),
        (Role.ADMINISTRATOR, 403),
        (Role.LEGAL_OFFICER, 404),  # the case was not escalated to legal
    ],
)
def test_roles_without_the_original_get_nothing_and_nothing_is_recorded(
    make_user, client_for, case, role, status
):
    response = client_for(make_user(role)).get(url(case, "media_original"))

    assert response.status_code == status
    assert not AuditEvent.objects.filter(action="media.viewed").exists()


def test_the_legal_team_downloads_the_original_of_a_case_escalated_to_it(legal_client, case):
    escalated_to_legal(case)

    assert legal_client.get(url(case, "media_original")).status_code == 200
    assert AuditEvent.objects.filter(action="media.viewed").count() == 1


def test_an_anonymous_visitor_is_sent_to_log_in(client, case):
    response = client.get(url(case, "media_original"))

    assert response["Location"].startswith("/accounts/login/")
    assert not AuditEvent.objects.filter(action="media.viewed").exists()


def test_a_purged_original_is_404_and_not_recorded(senior_client, case, media):
    media_storage.media_delete(media.sha256)
    Media.objects.filter(pk=media.pk).update(purged_at=timezone.now())

    assert senior_client.get(url(case, "media_original")).status_code == 404
    assert not AuditEvent.objects.filter(action="media.viewed").exists()


def test_a_video_has_no_rendition_and_downloads_as_a_video(senior_client):
    video = media_ingest(data=mp4()).media
    case = make_case(subject__media_sha256=video.sha256, subject__content_type="video")

    assert senior_client.get(url(case, "media_rendition")).status_code == 404
    response = senior_client.get(url(case, "media_original"))

    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Disposition"].endswith(f'{video.sha256}.mp4"')
    assert "no preview" in page(senior_client, case)


# --- The case page ------------------------------------------------------------------------------


def test_the_case_page_shows_the_guarded_rendition_and_the_hashes(moderator_client, case, media):
    body = page(moderator_client, case)

    assert f'src="{url(case, "media_rendition")}"' in body
    assert "media-guarded" in body
    assert "Reveal media (recorded)" in body
    for value in (media.sha256, media.md5, media.pdq, f"quality {media.pdq_quality}"):
        assert value in body
    assert "image/jpeg · 800×600" in body
    assert "Download original" not in body  # a moderator sees the renditions only
    assert "Not received" not in body


def test_a_senior_moderator_sees_the_recorded_download(senior_client, case):
    body = page(senior_client, case)

    assert f'href="{url(case, "media_original")}"' in body
    assert "Download original (recorded)" in body


def test_the_htmx_reveal_swaps_in_the_clear_rendition_with_the_same_facts(
    moderator_client, case, media
):
    response = reveal(moderator_client, case, HX_Request="true")

    assert response.status_code == 200
    body = response.content.decode()
    assert "media-guarded" not in body
    assert f'src="{url(case, "media_rendition")}?revealed"' in body
    assert media.md5 in body
    assert media.pdq in body
    assert "Download original" not in body


def test_the_htmx_reveal_keeps_the_download_for_a_senior_moderator(senior_client, case):
    body = reveal(senior_client, case, HX_Request="true").content.decode()

    assert "media-guarded" not in body
    assert "Download original (recorded)" in body


def test_the_case_page_says_when_the_platform_has_not_sent_the_file(moderator_client):
    case = make_case(
        subject__media_sha256="cd" * 32, subject__media_url="https://cdn.platform.example/m.jpg"
    )

    body = page(moderator_client, case)

    assert "Not received: the platform has not sent the file." in body
    assert 'src="https://cdn.platform.example/m.jpg"' in body  # the platform's link, as before
    assert "rendition" not in body


def test_the_case_page_says_when_the_media_was_purged(moderator_client, case, media):
    Media.objects.filter(pk=media.pk).update(purged_at=timezone.now())
    media_storage.media_delete(media.sha256)

    body = page(moderator_client, case)

    assert f"Purged on {timezone.now():%Y-%m-%d}" in body
    assert media.pdq in body  # the hashes remain
    assert "rendition" not in body
    assert "Reveal media" not in body


def test_the_case_page_query_count_does_not_grow_with_media(moderator_client, case, media):
    page(moderator_client, case)
    with CaptureQueriesContext(connection) as small:
        page(moderator_client, case)
    subject = case.subject
    for shade in range(1, 6):
        other = media_ingest(data=jpeg((64, 64), shade=shade * 40)).media
        make_case(
            subject__platform_id=subject.platform_id,
            subject__author_id=subject.author.platform_id,
            subject__chat_id=subject.chat_id,
            subject__media_sha256=other.sha256,
            reporter_id=f"r-{shade}",
        )
    assert case.reports.count() == 6

    with CaptureQueriesContext(connection) as large:
        body = page(moderator_client, case)

    assert len(large.captured_queries) == len(small.captured_queries)
    media_queries = [q for q in large.captured_queries if "moderation_media" in q["sql"]]
    assert len(media_queries) == 1
    assert "Download original" not in body
