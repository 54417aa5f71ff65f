"""
The queue page rendered cheaply: rows written by `queue_rows`, filters by Python widgets,
both counts in one statement. What the moderator sees must not change.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.roles import Role
from moderation.forms import QueueFilterForm
from moderation.models import Case, Category
from moderation.selectors.queue import (
    QueueFilters,
    apply_filters,
    capped_count,
    queue_counts,
    queue_page,
)
from moderation.services import claims
from moderation.templatetags.moderation_tags import countdown
from moderation.views.queue import id_url
from tests.moderation.factories import make_case

pytestmark = pytest.mark.django_db

URL = reverse("moderation:home")

# The rows as the queue's template wrote them before `queue_rows`: the reference markup.
REFERENCE_ROWS = engines["django"].from_string(
    """{% load i18n moderation_tags %}{% translate "Claim" as claim_label %}{% translate "Select case" as select_label %}{% translate 'Priority score' as priority_title %}{% translate 'Message cases from this private group, rolled up into its case' as rolled_up_title %}{% for case in cases %}
      <tr data-href="{{ case_url.head }}{{ case.pk }}{{ case_url.tail }}" data-claim-url="{{ claim_url.head }}{{ case.pk }}{{ claim_url.tail }}" tabindex="-1">
        {% if can_bulk %}<td><input type="checkbox" name="case" value="{{ case.pk }}" aria-label="{{ select_label }} {{ case.pk }}"></td>{% endif %}
        <td><span class="priority" title="{{ priority_title }}">{{ case.priority }}</span></td>
        <td><a href="{{ case_url.head }}{{ case.pk }}{{ case_url.tail }}">#{{ case.pk }}</a></td>
        <td><span class="badge sev-{{ case.category.severity }}">{{ case.category.name }}</span></td>
        <td>{{ case.subject_type_label }}{% if case.rolled_up_count %} <span class="badge" title="{{ rolled_up_title }}">{% blocktranslate count n=case.rolled_up_count %}{{ n }} message case{% plural %}{{ n }} message cases{% endblocktranslate %}</span>{% endif %}</td>
        <td>{{ case.language|upper|default:"—" }}</td>
        <td>{% for source in case.sources %}<span class="badge src-{{ source }}">{{ source|source_label }}</span>{% endfor %}</td>
        <td>{{ case.report_count }}<span class="muted small"> / {{ case.reporter_count }}</span></td>
        <td>{% countdown case.deadline_at %}</td>
        <td>{{ case.status_label }}{% if case.claimed_by %} <span class="muted small">({{ case.claimed_by.get_username }})</span>{% endif %}</td>
        <td><button type="submit" class="button small" form="claim-form" formaction="{{ claim_url.head }}{{ case.pk }}{{ claim_url.tail }}">{{ claim_label }}</button></td>
      </tr>
    {% endfor %}"""  # noqa: E501
)
ROWS = engines["django"].from_string(
    "{% load moderation_tags %}"
    "{% queue_rows cases can_bulk=can_bulk case_url=case_url claim_url=claim_url %}"
)


def _varied_cases(make_user) -> None:
    """Cases that use every branch of a row: claimed, rolled up, overdue, no language..."""
    senior = make_user(Role.SENIOR_MODERATOR, username="sen<ior>")
    plain = make_case(language="fa", source="trusted_flagger")
    make_case(language="en", source="authority", category="weapons")
    overdue = make_case(source="automated")
    soon = make_case(language="")
    Case.objects.filter(pk=overdue.pk).update(deadline_at=timezone.now() - timedelta(hours=30))
    Case.objects.filter(pk=soon.pk).update(deadline_at=timezone.now() + timedelta(minutes=90))
    group = make_case(subject__type="group", subject__chat_kind="private_group")
    held = [make_case() for _ in range(3)]
    Case.objects.filter(pk__in=[c.pk for c in held[:2]]).update(rollup_parent=group)
    Case.objects.filter(pk=held[2].pk).update(rollup_parent=plain, status=Case.Status.RESOLVED)
    Case.objects.filter(pk=group.pk).update(priority=10**6)
    claims.case_claim(case_id=plain.pk, actor=senior)
    Category.objects.filter(code="weapons").update(name='Weapons <img src=x onerror="x()">')


def _reference_rows(cases: list[Case], **context) -> str:
    for case in cases:  # what the view used to set on each row
        case.status_label = str(Case.Status(case.status).label)  # type: ignore[attr-defined]
        case.subject_type_label = str(  # type: ignore[attr-defined]
            dict(Case._meta.get_field("subject_type").flatchoices)[case.subject_type]
        )
    return REFERENCE_ROWS.render({"cases": cases, **context})


def _timeless(html: str) -> str:
    # A countdown says "in 2h 59m" one second and "in 2h 58m" the next; CSRF tokens are masked
    # afresh on every response.
    html = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]*', r"\1", html)
    return re.sub(r"(<time [^>]*>)[^<]*(</time>)", r"\1\2", html)


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("can_bulk", [True, False])
@pytest.mark.parametrize("status", [Case.Status.OPEN, Case.Status.CLAIMED])
def test_queue_rows_write_what_the_row_template_wrote(make_user, language, can_bulk, status):
    _varied_cases(make_user)
    cases = queue_page(filters=QueueFilters(status=status)).cases
    assert cases
    context = {
        "can_bulk": can_bulk,
        "case_url": id_url("moderation:case"),
        "claim_url": id_url("moderation:case_claim"),
    }

    with translation.override(language):
        expected = _reference_rows(queue_page(filters=QueueFilters(status=status)).cases, **context)
        written = ROWS.render({"cases": cases, **context})

    assert _timeless(written) == _timeless(expected)
    if status == Case.Status.OPEN:
        assert ("2 dossiers de message" if language == "fr" else "2 message cases") in written
        assert "&lt;img src=x onerror=&quot;x()&quot;&gt;" in written
        assert "<td>—</td>" in written
        assert "deadline overdue" in written
        assert "deadline due-soon" in written
    else:
        assert "(sen&lt;ior&gt;)" in written
    assert ('aria-label="' in written) is can_bulk


def test_countdown_keeps_its_markup():
    now = timezone.now()
    deadline = (now + timedelta(hours=5, minutes=30)).replace(microsecond=0)
    stamp = deadline.isoformat()
    markup = countdown(deadline)
    assert markup.startswith(
        f'<time class="deadline" datetime="{stamp}" data-deadline="{stamp}"'
        f' title="{deadline:%Y-%m-%d %H:%M} UTC">in 5h '
    )
    assert 'class="deadline overdue"' in countdown(now - timedelta(days=2))
    assert ">overdue 2d 0h</time>" in countdown(now - timedelta(days=2, minutes=1))
    assert 'class="deadline due-soon"' in countdown(now + timedelta(hours=1))
    assert countdown(None) == "—"


def test_queue_page_shows_the_rows_and_the_filters_in_french(make_user, client_for):
    _varied_cases(make_user)
    client = client_for(make_user(Role.SENIOR_MODERATOR))
    client.cookies["django_language"] = "fr"

    html = client.get(URL, {"status": "open", "source": ["user"], "language": "fa, en"}).content
    page = html.decode()

    assert '<option value="open" selected>Ouvertes</option>' in page
    assert '<option value="user" selected>' in page
    assert 'name="language" value="fa, en"' in page
    assert "Prendre en charge</button>" in page
    assert 'aria-label="Sélectionner le dossier ' in page


def test_filter_form_keeps_choices_errors_and_escaping(moderator_client):
    weapons = Category.objects.get(code="weapons")
    make_case(category="weapons")

    page = moderator_client.get(
        URL,
        {"status": "claimed", "category": [str(weapons.pk)], "language": '"><b>'},
    ).content.decode()

    assert '<option value="claimed" selected>Claimed</option>' in page
    assert f'<option value="{weapons.pk}" selected>Weapons</option>' in page
    assert (
        '<input type="text" name="language" value="&quot;&gt;&lt;b&gt;" aria-invalid="true"'
        ' aria-describedby="id_language_helptext id_language_error" id="id_language">'
    ) in page
    assert "Use comma-separated language codes such as fa, en." in page


def test_a_renamed_category_shows_in_the_filter_at_once(moderator_client):
    moderator_client.get(URL)
    Category.objects.filter(code="spam").update(name="Junk <mail>")

    page = moderator_client.get(URL).content.decode()

    assert ">Junk &lt;mail&gt;</option>" in page


def test_htmx_table_is_the_full_pages_table(moderator_client):
    for _ in range(3):
        make_case()
    params = {"status": "open"}

    full = moderator_client.get(URL, params).content.decode()
    table = moderator_client.get(URL, params, headers={"HX-Request": "true"}).content.decode()

    start = full.index('<div id="queue-table">')
    assert _timeless(table.strip()) in _timeless(full[start:])
    assert table.count("<tr data-href=") == 3


@pytest.mark.parametrize(
    "filters",
    [
        QueueFilters(),
        QueueFilters(deadline="due_soon", languages=("en",)),
        QueueFilters(signal="hash_match"),
        QueueFilters(status=Case.Status.CLAIMED),
    ],
)
def test_queue_counts_are_the_capped_counts_in_one_statement(filters):
    for _ in range(4):
        make_case()
    make_case(signals=[{"kind": "hash_match", "name": "KNOWN", "score": 100}])
    Case.objects.filter(pk__in=Case.objects.order_by("pk").values("pk")[:3]).update(
        deadline_at=timezone.now() - timedelta(hours=1)
    )
    overdue = QueueFilters(**{**filters.__dict__, "deadline": "overdue"})

    with CaptureQueriesContext(connection) as queries:
        counts = queue_counts(filters=filters, cap=2)

    assert len(queries.captured_queries) == 1
    matching = capped_count(apply_filters(Case.objects.all(), filters), cap=2)
    late = capped_count(apply_filters(Case.objects.all(), overdue), cap=2)
    assert (counts["matching"], counts["matching_more"]) == matching
    assert (counts["overdue"], counts["overdue_more"]) == late
    if filters == QueueFilters():
        assert counts == {"matching": 2, "matching_more": True, "overdue": 2, "overdue_more": True}


def test_a_filter_form_that_is_not_shown_reads_no_categories(django_assert_num_queries):
    # Claim-next reads the queue's filters from the same form and never renders it.
    with django_assert_num_queries(0):
        filters = QueueFilterForm({"status": "open", "language": "fa"}).filters()
    assert filters.languages == ("fa",)

    with django_assert_num_queries(1):
        html = str(QueueFilterForm({"status": "open"})["category"])
    assert '<option value="' in html
