"""Key rotation reaches the reported media: rotate_keys re-encrypts every stored file."""

from __future__ import annotations

import io
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from audit.models import AuditEvent
from core.encryption import DecryptionFailed
from moderation import media_storage
from moderation.services.media import media_ingest

pytestmark = pytest.mark.django_db

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_DIR = tmp_path / "private"
    return settings.PRIVATE_STORAGE_DIR


def png(shade: int) -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").resize((40, 40)).point(lambda v: (v + shade) % 256).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def media_under_key_a(settings) -> dict[str, bytes]:
    settings.FIELD_ENCRYPTION_KEYS = KEY_A
    originals = {}
    for shade in (0, 90):
        data = png(shade)
        originals[media_ingest(data=data).media.sha256] = data
    return originals


def rotate() -> str:
    out = StringIO()
    call_command("rotate_keys", stdout=out)
    return out.getvalue()


def test_rotate_keys_re_encrypts_every_media_file(settings, media_under_key_a):
    settings.FIELD_ENCRYPTION_KEYS = f"{KEY_B},{KEY_A}"

    output = rotate()

    assert "media files: 6 re-encrypted, 0 already current, 0 unreadable" in output
    assert "Total: 6 re-encrypted" in output
    settings.FIELD_ENCRYPTION_KEYS = KEY_B  # the old key is gone
    for sha256, data in media_under_key_a.items():
        assert media_storage.media_read(sha256, "original") == data
        media_storage.media_read(sha256, "guard")
    for path in media_storage.media_files():
        Fernet(KEY_B).decrypt(path.read_bytes())
    event = AuditEvent.objects.get(action="keys.rotated")
    assert event.data["media_files"] == {"rotated": 6, "current": 0, "unreadable": 0}


def test_rotate_keys_twice_leaves_the_files_alone_the_second_time(settings, media_under_key_a):
    settings.FIELD_ENCRYPTION_KEYS = f"{KEY_B},{KEY_A}"
    rotate()
    before = {path: path.read_bytes() for path in media_storage.media_files()}

    output = rotate()

    assert "media files: 0 re-encrypted, 6 already current" in output
    assert {path: path.read_bytes() for path in media_storage.media_files()} == before


def test_rotate_keys_without_the_old_key_reports_unreadable_files_and_keeps_them(
    settings, media_under_key_a
):
    settings.FIELD_ENCRYPTION_KEYS = KEY_B
    before = {path: path.read_bytes() for path in media_storage.media_files()}
    with pytest.raises(DecryptionFailed):
        media_storage.media_read(next(iter(media_under_key_a)), "original")

    with pytest.raises(CommandError, match="cannot be decrypted"):
        rotate()

    assert {path: path.read_bytes() for path in media_storage.media_files()} == before
    settings.FIELD_ENCRYPTION_KEYS = KEY_A
    for sha256, data in media_under_key_a.items():
        assert media_storage.media_read(sha256, "original") == data


def test_a_file_purged_during_rotation_is_not_brought_back(
    settings, media_under_key_a, monkeypatch
):
    settings.FIELD_ENCRYPTION_KEYS = f"{KEY_B},{KEY_A}"
    sha256 = next(iter(media_under_key_a))
    purged = media_storage.media_path(sha256, "original")
    reencrypt = media_storage.reencrypt_bytes

    def purge_meanwhile(token: bytes) -> bytes:
        purged.unlink(missing_ok=True)  # the retention purge, between read and rewrite
        return reencrypt(token)

    monkeypatch.setattr(media_storage, "reencrypt_bytes", purge_meanwhile)

    output = rotate()

    assert not purged.exists()
    assert not list(purged.parent.glob("*.part"))
    assert "0 unreadable" in output
