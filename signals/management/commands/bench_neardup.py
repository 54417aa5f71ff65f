"""
Measure text grouping (signals.neardup.services.reports_group) against a large store of
signatures: build `--stored` reports with signatures and LSH bands, then time grouping a
batch of `--batch` new reports (a share of them near copies of each other). Everything runs
in one transaction that is rolled back, so the database is left as it was
(docs/signals-neardup.md, "Measured").
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from moderation.models import Case, Category, PlatformAccount, Report, Subject
from signals.models import DuplicateMember, TextBand, TextSignature
from signals.neardup.services import reports_group
from signals.neardup.text import NUM_PERM, Signature, scheme_name

WORDS = [
    "free", "win", "claim", "prize", "crypto", "wallet", "airdrop", "parcel", "fee", "bank",
    "verify", "account", "login", "urgent", "offer", "today", "tonight", "only", "friends",
    "group", "join", "channel", "money", "earn", "home", "dollars", "invest", "bot", "profit",
    "guaranteed", "link", "click", "now", "hurry", "limited", "followers", "cheap", "order",
]  # fmt: skip


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time grouping a batch of reports against many stored text signatures (rolled back)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--stored", type=int, default=100_000)
        parser.add_argument("--batch", type=int, default=500)
        parser.add_argument("--copies", type=int, default=100, help="near copies in the batch")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with transaction.atomic():
                self._run(options["stored"], options["batch"], options["copies"])
                raise _Rollback
        except _Rollback:
            self.stdout.write("rolled back")

    def _reports(self, n: int, texts: list[str], tag: str) -> list[int]:
        now = timezone.now()
        category = Category.objects.order_by("pk").first()
        assert category is not None, "run the migrations first (categories)"
        author, _ = PlatformAccount.objects.get_or_create(platform_id=f"bench-{tag}")
        subjects = Subject.objects.bulk_create(
            Subject(
                type="message", platform_id=f"bench-{tag}-{i}", author=author, chat_kind="group"
            )
            for i in range(n)
        )
        cases = Case.objects.bulk_create(
            Case(
                subject=s,
                subject_type="message",
                category=category,
                deadline_at=now + timedelta(days=1),
            )
            for s in subjects
        )
        reports = Report.objects.bulk_create(
            (
                Report(
                    external_id=f"bench-{tag}-{i}",
                    case=c,
                    subject=c.subject,
                    category=category,
                    source="user",
                    reported_at=now,
                    content_text=texts[i],
                    chat_id=f"bench-chat-{i}",
                )
                for i, c in enumerate(cases)
            ),
            batch_size=5000,
        )
        return [r.pk for r in reports]

    def _run(self, stored: int, batch: int, copies: int) -> None:
        rng = random.Random(7)  # noqa: S311 - benchmark data, not a secret
        started = time.perf_counter()
        # Stored texts are random word salads: their signatures are stored as random values,
        # which is what unrelated texts' signatures look like to the bands.
        ids = self._reports(stored, ["-"] * stored, "stored")
        scheme = scheme_name(70)
        values = np.random.default_rng(7).integers(
            0, 2**32, size=(stored, NUM_PERM), dtype=np.uint64
        )
        for start in range(0, stored, 10_000):
            chunk = range(start, min(start + 10_000, stored))
            sigs = [Signature(values[i].astype(np.uint32)) for i in chunk]
            TextSignature.objects.bulk_create(
                TextSignature(report_id=ids[i], scheme=scheme, signature=s.to_bytes())
                for i, s in zip(chunk, sigs, strict=True)
            )
            TextBand.objects.bulk_create(
                (
                    TextBand(report_id=ids[i], band=band, bucket=bucket)
                    for i, s in zip(chunk, sigs, strict=True)
                    for band, bucket in s.buckets(70)
                ),
                batch_size=10_000,
            )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE signals_textband; ANALYZE signals_textsignature")
        built = time.perf_counter() - started

        base = " ".join(rng.choice(WORDS) for _ in range(25))
        texts = [f"greeting {i % 7} {base} link {i}" for i in range(copies)] + [
            " ".join(rng.choice(WORDS) for _ in range(25)) for _ in range(batch - copies)
        ]
        new = self._reports(batch, texts, "batch")
        started = time.perf_counter()
        joined = reports_group(report_ids=new)
        took = time.perf_counter() - started
        self.stdout.write(
            f"{connection.vendor}: {stored} stored signatures ({stored * 14} band rows, built in "
            f"{built:.1f} s); grouping {batch} new reports took {took:.2f} s "
            f"({1000 * took / batch:.1f} ms a report), {joined} joined, "
            f"{DuplicateMember.objects.filter(report_id__in=new).count()} members"
        )
