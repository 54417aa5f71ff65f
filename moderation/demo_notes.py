"""
Demo moderator tools: internal notes on a few demo cases and appeals, and reply templates in
English and French for spam, scams and hate speech. Idempotent: run twice, nothing changes.
"""

from __future__ import annotations

from accounts.models import User
from moderation.models import Appeal, Case, CaseNote, Category, ReplyTemplate
from moderation.services.notes import case_note_add
from moderation.services.reply_templates import ReplyTemplateInput, reply_template_create

# (title, category code or None for every category, language, field, shortcut, body)
TEMPLATES = [
    (
        "Spam: bulk advertising",
        "spam",
        "en",
        "explanation",
        1,
        "Your message was removed because it is unsolicited bulk advertising, which our Terms of "
        "Service do not allow. Repeated spam can lead to a suspension.",
    ),
    (
        "Spam : publicité de masse",
        "spam",
        "fr",
        "explanation",
        1,
        "Votre message a été retiré car il s'agit de publicité de masse non sollicitée, interdite "
        "par nos conditions d'utilisation. Des envois répétés peuvent entraîner une suspension.",
    ),
    (
        "Scam: fraudulent offer",
        "scams_fraud",
        "en",
        "explanation",
        1,
        "Your content was removed because it promotes a fraudulent offer designed to obtain money "
        "or personal data from other users.",
    ),
    (
        "Arnaque : offre frauduleuse",
        "scams_fraud",
        "fr",
        "explanation",
        1,
        "Votre contenu a été retiré car il promeut une offre frauduleuse visant à obtenir de "
        "l'argent ou des données personnelles d'autres utilisateurs.",
    ),
    (
        "Scam: facts (phishing link)",
        "scams_fraud",
        "en",
        "facts",
        2,
        "The message links to a page imitating a payment service and asks for card details.",
    ),
    (
        "Hate speech: incitement",
        "hate_speech",
        "en",
        "explanation",
        1,
        "Your content was removed because it incites hatred against people on the basis of a "
        "protected characteristic, which is illegal and against our Terms of Service.",
    ),
    (
        "Discours haineux : incitation",
        "hate_speech",
        "fr",
        "explanation",
        1,
        "Votre contenu a été retiré car il incite à la haine envers des personnes en raison d'une "
        "caractéristique protégée, ce qui est illégal et contraire à nos conditions.",
    ),
    (
        "Any: you can appeal",
        None,
        "en",
        "explanation",
        9,
        "You can appeal this decision from the app within six months.",
    ),
    (
        "Toutes : voie de recours",
        None,
        "fr",
        "explanation",
        9,
        "Vous pouvez faire appel de cette décision depuis l'application dans un délai de six mois.",
    ),
]

CASE_NOTES = [
    "Same wording as three other reports this week; probably one operator behind several accounts.",
    "Checked the linked page: it imitates a bank login. Keep the screenshot in the evidence.",
    "Author's earlier warning was in French; reply in French if we act.",
]
APPEAL_NOTE = "Appellant's context does not change the assessment; the link was live when reported."


def _seed_templates(senior: User) -> int:
    existing = set(ReplyTemplate.objects.values_list("title", "language"))
    categories = {
        c.code: c for c in Category.objects.filter(code__in=["spam", "scams_fraud", "hate_speech"])
    }
    made = 0
    for title, code, language, field, shortcut, body in TEMPLATES:
        if (title, language) in existing or (code and code not in categories):
            continue
        reply_template_create(
            actor=senior,
            data=ReplyTemplateInput(
                title=title,
                category=categories[code] if code else None,
                language=language,
                field=field,
                body=body,
                shortcut=shortcut,
            ),
        )
        made += 1
    return made


def _seed_notes(users: dict[str, User]) -> int:
    if CaseNote.objects.filter(case__reports__external_id__startswith="demo-").exists():
        return 0
    made = 0
    escalated = list(
        Case.objects.filter(reports__external_id__startswith="demo-", escalation="senior")
        .distinct()
        .order_by("id")[:2]
    )
    decided = list(
        Case.objects.filter(reports__external_id__startswith="demo-", status=Case.Status.RESOLVED)
        .distinct()
        .order_by("id")[:2]
    )
    for case, text in zip([*escalated, *decided], CASE_NOTES * 2, strict=False):
        case_note_add(case_id=case.pk, actor=users["moderator"], text=text)
        made += 1
    for appeal in (
        Appeal.objects.filter(external_id__startswith="demo-appeal-")
        .select_related("decision")
        .order_by("id")[:2]
    ):
        case_note_add(
            case_id=appeal.decision.case_id,
            actor=users["senior"],
            text=APPEAL_NOTE,
            appeal_id=appeal.pk,
        )
        made += 1
    return made


def seed_notes_and_templates(users: dict[str, User]) -> int:
    """Returns how many notes and templates were new."""
    if "senior" not in users or "moderator" not in users:
        return 0
    return _seed_templates(users["senior"]) + _seed_notes(users)
