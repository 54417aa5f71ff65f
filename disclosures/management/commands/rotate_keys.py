"""
`python manage.py rotate_keys`: re-encrypt every encrypted column, and every stored media file
(moderation's reported media), under the current key.

Rotation: put the new key first in FIELD_ENCRYPTION_KEYS (keeping the old ones after it),
deploy, run this command, then drop the old keys. Until the command has finished, the old
keys still decrypt whatever it has not reached yet.

Ciphertext is read and written as raw column values through SQL: going through the model
field would decrypt on read and encrypt again on write. Each write is a compare-and-set on
the old token, so a value changed meanwhile by the application is left as it is (it was
written under the current key anyway). Tokens already under the current key are skipped,
which makes the command idempotent.

Media files are rewritten one by one, each to a temporary file renamed over the old one
(`moderation.media_storage.media_file_reencrypt`), so a reader sees the old file or the new,
never half of one; a file purged meanwhile is skipped.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

import audit
from core.encryption import DecryptionFailed
from disclosures import crypto
from moderation import media_storage


def _current_key() -> Fernet | None:
    keys = [k.strip() for k in settings.FIELD_ENCRYPTION_KEYS.split(",") if k.strip()]
    # No keys configured: one derived key, so everything is already under it.
    return Fernet(keys[0]) if keys else None


def _is_current(key: Fernet | None, token: str) -> bool:
    if key is None:
        return True
    try:
        key.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def encrypted_columns() -> list[tuple[Any, Any]]:
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, crypto.EncryptedTextField)
    ]


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field and media file under the first key of "
        "FIELD_ENCRYPTION_KEYS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        key = _current_key()
        counts: dict[str, dict[str, int]] = {}
        for model, field in encrypted_columns():
            label = f"{model._meta.label_lower}.{field.name}"
            counts[label] = self._rotate_column(model, field, key=key, batch_size=batch_size)
            self.stdout.write(
                f"{label}: {counts[label]['rotated']} re-encrypted, "
                f"{counts[label]['current']} already current, "
                f"{counts[label]['unreadable']} unreadable"
            )
        files = self._rotate_media_files()
        self.stdout.write(
            f"media files: {files['rotated']} re-encrypted, {files['current']} already current, "
            f"{files['unreadable']} unreadable"
        )
        totals = {
            name: sum(c[name] for c in counts.values()) + files[name]
            for name in ("rotated", "current", "unreadable")
        }
        with transaction.atomic():
            audit.record(
                action="keys.rotated", data={"columns": counts, "media_files": files, **totals}
            )
        self.stdout.write(
            f"Total: {totals['rotated']} re-encrypted, {totals['current']} already current, "
            f"{totals['unreadable']} unreadable."
        )
        if totals["unreadable"]:
            raise CommandError(
                "Some values cannot be decrypted with any configured key; keep the old keys."
            )

    def _rotate_media_files(self) -> dict[str, int]:
        counts = {"rotated": 0, "current": 0, "unreadable": 0}
        for path in media_storage.media_files():
            try:
                changed = media_storage.media_file_reencrypt(path)
            except FileNotFoundError:
                continue  # purged since the listing
            except (InvalidToken, DecryptionFailed):
                counts["unreadable"] += 1
                continue
            counts["rotated" if changed else "current"] += 1
        return counts

    def _rotate_column(
        self, model: Any, field: Any, *, key: Fernet | None, batch_size: int
    ) -> dict[str, int]:
        qn = connection.ops.quote_name
        table, column, pk = qn(model._meta.db_table), qn(field.column), qn(model._meta.pk.column)
        select = (
            f"SELECT {pk}, {column} FROM {table} "  # noqa: S608 (names are quoted identifiers)
            f"WHERE {pk} > %s AND {column} IS NOT NULL ORDER BY {pk} LIMIT %s"
        )
        update = f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s"  # noqa: S608
        counts = {"rotated": 0, "current": 0, "unreadable": 0}
        last_pk: Any = 0
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(select, [last_pk, batch_size])
                rows = cursor.fetchall()
                for row_pk, token in rows:
                    if _is_current(key, token):
                        counts["current"] += 1
                        continue
                    try:
                        fresh = crypto.reencrypt(token)
                    except InvalidToken:
                        counts["unreadable"] += 1
                        continue
                    cursor.execute(update, [fresh, row_pk, token])
                    counts["rotated"] += cursor.rowcount
            if len(rows) < batch_size:
                return counts
            last_pk = rows[-1][0]
