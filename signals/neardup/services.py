"""
Writes of near-duplicate grouping: reports whose texts (MinHash/LSH) or images (PDQ) are
near-identical to a report on another case put both cases in one group.

Joining follows one rule for both kinds. A link between two cases (a verified near copy)
makes a new group when neither case is grouped, adds the ungrouped case to the other's group,
or, when both sit in different groups, merges the younger group into the older one (members
moved, `merged_into` set, sizes recounted). A case is in at most one group per kind.

Grouping of one kind is serialised: on PostgreSQL by a transaction-level advisory lock, so two
workers grouping overlapping texts at once cannot both create a group for the same pair;
SQLite serialises writers anyway. Every run is idempotent: a report whose text signature is
stored was grouped in the same transaction and is skipped, and a link whose cases already
share a group changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

import audit
from moderation.models import Media, Report
from signals.cursors import reports_beyond_cursor
from signals.models import DuplicateGroup, DuplicateMember, TextBand, TextSignature
from signals.neardup import images
from signals.neardup.text import Signature, normalise, scheme_name, signatures

# Keys of the transaction-level advisory locks (any constant bigint, unique in this project).
LOCK_KEYS: dict[str, int] = {
    DuplicateGroup.Kind.TEXT: 0x6E64_7478,
    DuplicateGroup.Kind.IMAGE: 0x6E64_696D,
}
CURSOR_NAME = "neardup"
CURSOR_BATCH = 500
# As the bank matcher's relay: leave the newest reports to their own task and let slower
# transactions commit (ids are handed out before commit).
CURSOR_GRACE = timedelta(minutes=1)
EXEMPLAR_CHARS = 300


@dataclass(frozen=True)
class Link:
    """A verified near copy: `report` (on `case`) is near-identical to `other_report`."""

    case_id: int
    report_id: int
    other_case_id: int
    other_report_id: int
    similarity: float


def reports_group(*, report_ids: Iterable[int]) -> int:
    """Group new reports by text and by image; returns how many cases joined a group."""
    ids = sorted(set(report_ids))
    if not ids:
        return 0
    return texts_group(report_ids=ids) + images_group(report_ids=ids)


def media_group(*, media_id: int) -> int:
    """Media that arrived after its reports: group the reports that reference it by image."""
    sha256 = Media.objects.filter(pk=media_id).values_list("sha256", flat=True).first()
    if sha256 is None:
        return 0
    ids = list(
        Report.objects.filter(media_sha256=sha256).order_by("pk").values_list("pk", flat=True)
    )
    return images_group(report_ids=ids)


def cursor_group(*, now: datetime, batch: int = CURSOR_BATCH) -> int:
    """Group up to `batch` reports beyond the "neardup" cursor (the relay's share)."""
    return reports_beyond_cursor(
        name=CURSOR_NAME,
        now=now,
        grace=CURSOR_GRACE,
        batch=batch,
        handle=lambda ids: reports_group(report_ids=ids),
    )


# Text


def texts_group(*, report_ids: list[int]) -> int:
    """
    Sign the reports' texts (at least NEARDUP_TEXT_MIN_CHARS once normalised), store their
    LSH bands, and join the reports whose near copies sit on other cases.
    """
    threshold = settings.NEARDUP_TEXT_THRESHOLD_PERCENT
    scheme = scheme_name(threshold)
    prepared: list[tuple[int, int, str, str]] = []  # (report, case, text, normalised)
    for pk, case_id, text in (
        Report.objects.filter(pk__in=report_ids, case__isnull=False)
        .exclude(content_text="")
        .order_by("pk")
        .values_list("pk", "case_id", "content_text")
    ):
        normalised = normalise(text)
        if len(normalised) >= settings.NEARDUP_TEXT_MIN_CHARS:
            prepared.append((pk, case_id, text, normalised))
    if not prepared:
        return 0
    # MinHash is CPU work: done before the lock, so the lock is held only for the queries.
    signed = dict(
        zip(
            (pk for pk, _, _, _ in prepared),
            signatures([normalised for _, _, _, normalised in prepared]),
            strict=True,
        )
    )
    with transaction.atomic():
        _serialise(DuplicateGroup.Kind.TEXT)
        stored = set(
            TextSignature.objects.filter(report_id__in=signed).values_list("report_id", flat=True)
        )
        new = [(pk, case_id, text) for pk, case_id, text, _ in prepared if pk not in stored]
        if not new:
            return 0
        TextSignature.objects.bulk_create(
            TextSignature(report_id=pk, scheme=scheme, signature=signed[pk].to_bytes())
            for pk, _, _ in new
        )
        buckets = {pk: signed[pk].buckets(threshold) for pk, _, _ in new}
        TextBand.objects.bulk_create(
            (
                TextBand(report_id=pk, band=band, bucket=bucket)
                for pk, pairs in buckets.items()
                for band, bucket in pairs
            ),
            batch_size=5000,
        )
        links = _text_links(
            new=[(pk, case_id) for pk, case_id, _ in new],
            signed=signed,
            buckets=buckets,
            scheme=scheme,
            threshold=threshold,
        )
        exemplars = {case_id: text[:EXEMPLAR_CHARS] for _, case_id, text in new}
        return _links_join(kind=DuplicateGroup.Kind.TEXT, links=links, exemplars=exemplars)


def _text_links(
    *,
    new: list[tuple[int, int]],
    signed: dict[int, Signature],
    buckets: dict[int, list[tuple[int, int]]],
    scheme: str,
    threshold: int,
) -> list[Link]:
    """Candidates from the bands (one query for the batch), kept when their Jaccard holds."""
    wanted: dict[tuple[int, int], list[int]] = defaultdict(list)
    by_band: dict[int, set[int]] = defaultdict(set)
    for pk, pairs in buckets.items():
        for band, bucket in pairs:
            wanted[(band, bucket)].append(pk)
            by_band[band].add(bucket)
    # One OR branch per band: PostgreSQL answers each with the (band, bucket) btree.
    probe = Q()
    for band, band_buckets in sorted(by_band.items()):
        probe |= Q(band=band, bucket__in=sorted(band_buckets))
    candidates: dict[int, set[int]] = defaultdict(set)
    for band, bucket, other in TextBand.objects.filter(probe).values_list(
        "band", "bucket", "report_id"
    ):
        for pk in wanted.get((band, bucket), ()):
            if other != pk:
                candidates[pk].add(other)
    if not candidates:
        return []
    others = {
        pk: (case_id, Signature.from_bytes(data))
        for pk, data, case_id in TextSignature.objects.filter(
            report_id__in={o for found in candidates.values() for o in found}, scheme=scheme
        ).values_list("report_id", "signature", "report__case_id")
        if case_id is not None
    }
    links = []
    for pk, case_id in new:
        for other in sorted(candidates.get(pk, ())):
            if other not in others:
                continue
            other_case, other_signature = others[other]
            if other_case == case_id:
                continue  # the same case: not a copy "elsewhere"
            similarity = signed[pk].jaccard(other_signature)
            if similarity * 100 >= threshold:
                links.append(Link(case_id, pk, other_case, other, round(similarity, 3)))
    return links


# Images


def images_group(*, report_ids: list[int]) -> int:
    """Join the reports whose media's PDQ lies within NEARDUP_PDQ_THRESHOLD of another's."""
    reports = list(
        Report.objects.filter(pk__in=report_ids, case__isnull=False)
        .exclude(media_sha256="")
        .order_by("pk")
        .values_list("pk", "case_id", "media_sha256")
    )
    if not reports:
        return 0
    medias = {
        m.sha256: m
        for m in Media.objects.filter(sha256__in={sha for _, _, sha in reports}).order_by("pk")
        if images.pdq_usable(m)
    }
    if not medias:
        return 0
    threshold = settings.NEARDUP_PDQ_THRESHOLD
    near = images.near_media(list(medias.values()), threshold=threshold)
    with transaction.atomic():
        _serialise(DuplicateGroup.Kind.IMAGE)
        shas = {sha for hits in near.values() for sha, _ in hits}
        by_sha: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for pk, case_id, sha in (
            Report.objects.filter(media_sha256__in=shas, case__isnull=False)
            .order_by("pk")
            .values_list("pk", "case_id", "media_sha256")
        ):
            by_sha[sha].append((pk, case_id))
        links = []
        for pk, case_id, sha in reports:
            media = medias.get(sha)
            if media is None:
                continue
            for other_sha, distance in near.get(media.pk, []):
                for other, other_case in by_sha.get(other_sha, []):
                    if other_case != case_id:
                        links.append(
                            Link(case_id, pk, other_case, other, round(1 - distance / 256, 3))
                        )
        exemplars = {case_id: sha for _, case_id, sha in reports}
        return _links_join(kind=DuplicateGroup.Kind.IMAGE, links=links, exemplars=exemplars)


# Joining


def _serialise(kind: str) -> None:
    """Hold the kind's advisory lock until the transaction ends (PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEYS[kind]])


def _links_join(*, kind: str, links: list[Link], exemplars: dict[int, str]) -> int:
    """
    Apply the joining rule to each link, best similarity first, so a case joins through
    its closest copy. Runs inside the kind's lock; returns how many cases joined a group.
    """
    if not links:
        return 0
    case_ids = {link.case_id for link in links} | {link.other_case_id for link in links}
    group_of: dict[int, int] = dict(
        DuplicateMember.objects.filter(kind=kind, case_id__in=case_ids).values_list(
            "case_id", "group_id"
        )
    )
    pending: dict[int, DuplicateMember] = {}
    touched: set[int] = set()

    def join(group_id: int, case_id: int, report_id: int, similarity: float) -> None:
        group_of[case_id] = group_id
        pending[case_id] = DuplicateMember(
            group_id=group_id,
            case_id=case_id,
            report_id=report_id,
            kind=kind,
            similarity=similarity,
        )
        touched.add(group_id)

    for link in sorted(links, key=lambda k: (-k.similarity, k.case_id, k.other_case_id)):
        mine, theirs = group_of.get(link.case_id), group_of.get(link.other_case_id)
        if mine is not None and theirs is not None:
            if mine != theirs:
                older, younger = sorted((mine, theirs))
                _groups_merge(into=older, merged=younger, group_of=group_of, pending=pending)
                touched.discard(younger)
                touched.add(older)
        elif mine is None and theirs is None:
            group = DuplicateGroup.objects.create(
                kind=kind, exemplar=exemplars.get(link.case_id, "")[:EXEMPLAR_CHARS]
            )
            audit.record(
                action="neardup.group_formed",
                target=group,
                data={"kind": kind, "cases": sorted([link.case_id, link.other_case_id])},
            )
            join(group.pk, link.other_case_id, link.other_report_id, link.similarity)
            join(group.pk, link.case_id, link.report_id, link.similarity)
        elif mine is None:
            assert theirs is not None
            join(theirs, link.case_id, link.report_id, link.similarity)
        else:
            join(mine, link.other_case_id, link.other_report_id, link.similarity)

    DuplicateMember.objects.bulk_create(pending.values())
    sizes = dict(
        DuplicateMember.objects.filter(group_id__in=touched)
        .order_by()
        .values("group_id")
        .annotate(n=Count("id"))
        .values_list("group_id", "n")
    )
    groups = list(DuplicateGroup.objects.filter(pk__in=touched))
    now = timezone.now()
    for group in groups:
        group.size = sizes.get(group.pk, 0)
        group.updated_at = now
    DuplicateGroup.objects.bulk_update(groups, ["size", "updated_at"])
    return len(pending)


def _groups_merge(
    *, into: int, merged: int, group_of: dict[int, int], pending: dict[int, DuplicateMember]
) -> None:
    """Move the younger group's members into the older one and mark it merged."""
    moved = DuplicateMember.objects.filter(group_id=merged).update(group_id=into)
    for case_id, group_id in group_of.items():
        if group_id == merged:
            group_of[case_id] = into
    for member in pending.values():
        if member.group_id == merged:
            member.group_id = into
    # Groups merged into the younger one before now point at the survivor directly.
    DuplicateGroup.objects.filter(merged_into_id=merged).update(merged_into_id=into)
    DuplicateGroup.objects.filter(pk=merged).update(merged_into_id=into, size=0)
    audit.record(
        action="neardup.groups_merged",
        target_type="signals.duplicategroup",
        target_id=into,
        data={"into": into, "merged": merged, "moved": moved},
    )
