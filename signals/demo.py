"""
Demo hash banks: one bank holding the PDQ hash of the first picture of a few synthetic
near-copy families (moderation's demo images), so the demo's queue shows cases whose media
matched a bank, the exact copy and its near-copies at a small distance.
"""

from __future__ import annotations

from moderation.models import CaseSignal, Category, Decision, Media, Report
from signals.matcher_service import reports_match
from signals.models import BankedHash, HashBank

DEMO_BANK = "DEMO_KNOWN_SCAM_IMAGES"
FAMILIES = 4  # moderation's demo draws its pictures in families of three near-copies


def seed_signals() -> int:
    """Create the demo bank (idempotent) and match every demo report; returns signals added."""
    bank, _created = HashBank.objects.get_or_create(
        name=DEMO_BANK,
        defaults={
            "description": "Demo: synthetic pictures a moderator removed earlier (not real media).",
            "category": Category.objects.filter(code="scams_fraud").first(),
        },
    )
    images = list(
        Media.objects.filter(kind=Media.Kind.IMAGE, pdq_quality__gte=50)
        .exclude(pdq="")
        .order_by("pk")[: 3 * FAMILIES : 3]
    )
    for media in images:
        decision = (
            Decision.objects.filter(
                case__reports__media_sha256=media.sha256, status=Decision.Status.IN_FORCE
            )
            .order_by("pk")
            .first()
        )
        BankedHash.objects.get_or_create(
            bank=bank,
            signal_type=BankedHash.SignalType.PDQ,
            value=media.pdq,
            defaults={"label": "synthetic demo picture", "source_decision": decision},
        )
    with_media = Report.objects.exclude(media_sha256="").values_list("pk", flat=True)
    matched = reports_match(report_ids=list(with_media))
    # The learning classifier (labelled decisions, trained versions, scores), the detectors'
    # modes and automatic actions, the near-duplicate groups: in that order, since governance
    # measures the classifier's scores and the groups gather the scored cases.
    from signals.classifier.demo import seed as seed_classifier
    from signals.governance.demo import seed as seed_governance
    from signals.neardup.demo import seed as seed_neardup

    seed_classifier()
    seed_governance()
    seed_neardup()
    return matched


def demo_summary() -> str:
    """What the automatic tools show in the demo, in one line for seed_demo's answer."""
    from signals.models import AutomatedAction, DuplicateGroup, ModelVersion

    models = ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).count()
    scored = CaseSignal.objects.filter(kind=CaseSignal.Kind.CLASSIFIER).count()
    groups = DuplicateGroup.objects.filter(merged_into__isnull=True).count()
    automatic = AutomatedAction.objects.count()
    return (
        f"{models} classifier model(s) trained on synthetic decisions, {scored} score(s), "
        f"{groups} near-duplicate group(s), {automatic} automatic action(s)"
    )
