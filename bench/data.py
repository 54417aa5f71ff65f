"""
The benchmark's data: COPY into the project's own tables, indexes and constraints in place.

Columns come from the models (`Model._meta`), so a renamed column is followed; a new
required column without a default makes generation fail with its name rather than load
something the application would not write. Every row a generator does not fill gets the
field's default. The `small` stage is generated from nothing, `large` appends to it (ids go
on), so the two stages share their first rows and a ratio compares like with like.

Distributions follow what the issue measured: about 2.05 reports a case, one very prolific
author with ~17% of the subjects (and a few smaller ones), most cases open, priorities and
`score_changes_at` computed by the project's own priority functions, as `cases_refresh`
would have left them.
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, models

from bench.core import Context, Scale, Stage

MODERATORS = [f"bench-mod-{n:02d}" for n in range(16)]
SENIOR = "bench-senior"
ADMIN = "bench-admin"
PASSWORD = "bench-password-42"  # noqa: S105 (benchmark database only)

# Share of all subjects the most prolific author wrote ("an author with 169k subjects" of 1M).
PROLIFIC_SHARE = 0.17
# Three more heavy authors, then everyone else alike.
HEAVY_SHARES = (0.02, 0.01, 0.005)

SUBJECT_TYPES = {
    "message": 55,
    "media": 15,
    "account": 9,
    "group": 6,
    "channel": 6,
    "bot": 3,
    "search_result": 6,
}
STATUSES = {"open": 70, "claimed": 3, "escalated": 3, "legal": 1, "resolved": 23}
LANGUAGES = {
    "en": 34,
    "ru": 10,
    "ar": 10,
    "fa": 8,
    "es": 8,
    "fr": 6,
    "de": 6,
    "tr": 5,
    "pt": 5,
    "uk": 5,
    "": 3,
}
SOURCES = {"user": 80, "automated": 10, "trusted_flagger": 8, "authority": 2}
# Reports per case: mean 2.04 (the 2.05M reports for 1M cases).
REPORTS_PER_CASE = {1: 47, 2: 26, 3: 13, 4: 7, 5: 4, 6: 3}
TEXTS = [
    "buy cheap followers now, link in bio",
    "you will regret this, I know where you live",
    "selling documents, dm me",
    "this channel posts the same scam every hour",
    "graphic video reposted without warning",
    "join our group for free crypto signals",
    "impersonating a bank's support account",
    "hate speech against a religious group",
]
# Cases open over the last weeks: most recent, a long tail back.
CASE_AGE_MEAN_HOURS = 72
CASE_AGE_MAX_HOURS = 60 * 24
IPS_POOL = 2_000  # distinct IP addresses, each encrypted once and reused


class BenchDataError(RuntimeError):
    pass


@dataclass
class Facts:
    """What the generator made and the measurements need; held in Context.facts."""

    now: datetime  # the data's clock: cases were opened up to this instant
    moderators: list[int] = field(default_factory=list)  # user ids, MODERATORS order
    senior: int = 0
    admin: int = 0
    accounts: tuple[int, int] = (0, 0)  # first and last PlatformAccount pk generated
    reporters: tuple[int, int] = (0, 0)  # first and last Reporter pk generated
    prolific_author: int = 0  # PlatformAccount pk with PROLIFIC_SHARE of the subjects
    prolific_case: int = 0  # an open case about one of that author's subjects
    typical_case: int = 0  # an open case of an ordinary author
    ip_account: int = 0  # PlatformAccount pk holding ip_target records
    ip_account_platform_id: str = ""
    ip_target: int = 0
    ip_window: tuple[datetime, datetime] | None = None
    cases_generated: int = 0
    ips_generated: int = 0
    hashes_generated: int = 0
    seal_pending: int = 0  # events left unsealed at each stage, for the seal task
    counts: dict[str, int] = field(default_factory=dict)  # rows per table after the stage
    load: dict[str, dict[str, float]] = field(default_factory=dict)  # per table: rows, seconds


def _weighted(rng: random.Random, table: dict[Any, int]) -> Callable[[], Any]:
    values = list(table)
    cum = list(itertools.accumulate(table.values()))
    total = cum[-1]

    def pick() -> Any:
        return values[bisect.bisect_right(cum, rng.random() * total)]

    return pick


def _json(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def _fixed_default(model: type[models.Model], f: models.Field, now: datetime) -> Any:
    if f.has_default():
        return _json(f.get_default())
    if f.null:
        return None
    if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
        return now
    if isinstance(f, models.CharField | models.TextField):
        return ""
    raise BenchDataError(
        f"{model.__name__}.{f.name} is required and has no default: bench.data must fill it"
    )


class Copier:
    """COPY rows into a model's table: the generator gives `fields`, defaults fill the rest."""

    def __init__(self, model: type[models.Model], fields: Sequence[str], now: datetime):
        meta = model._meta
        self.model = model
        self.table = meta.db_table
        by_name = {f.name: f for f in meta.concrete_fields}
        unknown = [name for name in fields if name not in by_name]
        if unknown:
            raise BenchDataError(f"{model.__name__} has no column for {unknown}")
        rest = [f for f in meta.concrete_fields if f.name not in set(fields)]
        self.columns: list[str] = [str(by_name[name].column) for name in fields]
        self.columns += [str(f.column) for f in rest]
        self.tail = tuple(_fixed_default(model, f, now) for f in rest)

    def copy(self, rows: Iterable[Sequence[Any]], load: dict[str, dict[str, float]]) -> int:
        started = time.perf_counter()
        n = 0
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        sql = f"COPY {connection.ops.quote_name(self.table)} ({cols}) FROM STDIN"
        tail = self.tail
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row((*row, *tail))
                n += 1
        spent = time.perf_counter() - started
        entry = load.setdefault(self.table, {"rows": 0, "seconds": 0.0})
        entry["rows"] += n
        entry["seconds"] += spent
        return n


def _max_id(model: type[models.Model]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {model._meta.db_table}")  # noqa: S608 (a model's table)
        return int(cursor.fetchone()[0])


def stage_counts(scale: Scale, stage: Stage) -> dict[str, int]:
    cases = scale.small_cases if stage == "small" else scale.large_cases
    ratio = cases / scale.large_cases
    return {
        "cases": cases,
        "accounts": scale.accounts,
        "reporters": max(scale.accounts // 2, 100),
        "ip_records": scale.ip_records_small if stage == "small" else scale.ip_records_large,
        "audit_events": max(2_000, int(scale.audit_events * ratio)),
        "bank_hashes": max(1_000, int(scale.bank_hashes * ratio)),
    }


def generate(ctx: Context) -> Facts:
    """Bring the benchmark database to ctx.stage's size; returns (and keeps) the facts."""
    from django.utils import timezone

    facts: Facts = ctx.facts or Facts(now=timezone.now())
    ctx.facts = facts
    want = stage_counts(ctx.scale, ctx.stage)
    rng = random.Random(f"bench-{ctx.scale.name}-{ctx.stage}")  # noqa: S311 (reproducible)
    if ctx.stage == "small":
        _users(facts)
        _accounts(want, facts, rng)
    _cases(want, facts, rng, ctx.scale)
    _ip_records(want, facts, rng, ctx.scale)
    _audit_events(want, facts, rng, ctx.scale)
    _bank_hashes(want, facts, rng)
    _sequences_reset()
    _analyze()
    _pick_cases(facts)
    facts.counts = _table_counts()
    return facts


# --- users ----------------------------------------------------------------------------------


def _users(facts: Facts) -> None:
    """The staff the measurements act as, with their roles granted as the accounts app does."""
    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import user_create

    for name in MODERATORS:
        facts.moderators.append(
            user_create(username=name, password=PASSWORD, roles=[Role.MODERATOR]).pk
        )
    facts.senior = user_create(
        username=SENIOR, password=PASSWORD, roles=[Role.MODERATOR, Role.SENIOR_MODERATOR]
    ).pk
    admin = user_create(username=ADMIN, password=PASSWORD, roles=[Role.ADMINISTRATOR])
    # Superuser like `createsuperuser`: trusted code, no grant to approve.
    User.objects.filter(pk=admin.pk).update(is_superuser=True, is_staff=True)
    facts.admin = admin.pk


def logged_in_client(username: str) -> Any:
    """
    A test Client signed in as `username` past the project's login and second-step policy:
    as tests.utils.login_verified, a confirmed authenticator for those who need one, the
    verified device in the session, and a fresh step-up (the admin asks for one).
    """
    import time as _time

    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import mfa, reauth, second_factor
    from accounts.models import User

    user = User.objects.get(username=username)
    client = Client()
    device = None
    if second_factor.required_for(user) or mfa.has_second_factor(user=user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(
                user=user, name="Bench authenticator", confirmed=True
            )
    client.force_login(user)
    session = client.session
    if device is not None:
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[reauth.SESSION_KEY] = int(_time.time())
    session.save()
    return client


# --- platform accounts and reporters -------------------------------------------------------


def _accounts(want: dict[str, int], facts: Facts, rng: random.Random) -> None:
    from moderation.models import PlatformAccount, Reporter

    now = facts.now
    start = _max_id(PlatformAccount) + 1
    kinds = _weighted(rng, {"user": 90, "bot": 4, "business": 6})
    copier = Copier(
        PlatformAccount,
        ["id", "platform_id", "username", "display_name", "kind", "first_seen_at"],
        now,
    )
    copier.copy(
        (
            (
                pk,
                f"acct-{pk}",
                f"user{pk}",
                f"User {pk}",
                kinds(),
                now - timedelta(days=rng.randrange(1, 2000)),
            )
            for pk in range(start, start + want["accounts"])
        ),
        facts.load,
    )
    facts.prolific_author = start
    facts.accounts = (start, start + want["accounts"] - 1)
    reporters = Copier(Reporter, ["id", "platform_id", "reports_resolved", "reports_actioned"], now)
    first = _max_id(Reporter) + 1

    def reporter_rows() -> Iterator[tuple[Any, ...]]:
        for pk in range(first, first + want["reporters"]):
            resolved = rng.choice((0, 0, 0, 1, 2, 5, 12, 40))
            yield (pk, f"reporter-{pk}", resolved, rng.randint(0, resolved))

    reporters.copy(reporter_rows(), facts.load)
    facts.reporters = (first, first + want["reporters"] - 1)


# --- subjects, cases, reports ---------------------------------------------------------------


def _author_picker(
    rng: random.Random, facts: Facts, accounts: tuple[int, int]
) -> Callable[[], int]:
    first, last = accounts
    heavy = [(PROLIFIC_SHARE, facts.prolific_author)]
    heavy += [(share, facts.prolific_author + 1 + n) for n, share in enumerate(HEAVY_SHARES)]
    cum = list(itertools.accumulate(share for share, _ in heavy))
    ids = [pk for _, pk in heavy]

    def pick() -> int:
        r = rng.random()
        i = bisect.bisect_right(cum, r)
        return ids[i] if i < len(ids) else rng.randint(first + len(ids), last)

    return pick


def _cases(want: dict[str, int], facts: Facts, rng: random.Random, scale: Scale) -> None:
    from moderation.models import Case, Category, Report, Subject
    from moderation.services.priority import (
        PriorityInputs,
        compute_priority,
        deadline_points_change_at,
    )

    now = facts.now
    first_case = _max_id(Case) + 1
    # Cases made by measurements in between (intake) do not count towards the stage's size.
    n = want["cases"] - facts.cases_generated
    if n <= 0:
        return
    facts.cases_generated += n
    first_subject = _max_id(Subject) + 1
    first_report = _max_id(Report) + 1
    # Only the rows generated here: measurements in between may have added others (intake).
    accounts, reporters = facts.accounts, facts.reporters
    categories = list(Category.objects.all())
    # Common harms often, the gravest rarely.
    category = _weighted(rng, {c: (6 - c.severity) ** 2 for c in categories})
    subject_type = _weighted(rng, SUBJECT_TYPES)
    status = _weighted(rng, STATUSES)
    language = _weighted(rng, LANGUAGES)
    source = _weighted(rng, SOURCES)
    per_case = _weighted(rng, REPORTS_PER_CASE)
    author = _author_picker(rng, facts, accounts)
    chats = max(50, scale.accounts // 20)
    mods = facts.moderators

    subjects: list[tuple[Any, ...]] = []
    cases: list[tuple[Any, ...]] = []
    reports: list[tuple[Any, ...]] = []
    report_id = first_report
    for i in range(n):
        pk = first_case + i
        spk = first_subject + i
        kind = subject_type()
        chat = ""
        chat_kind = ""
        if kind == "message":
            # Chats are skewed too: a tenth of them carry most reported messages.
            chat = f"chat-{int(chats * rng.random() ** 3)}"
            chat_kind = "group" if rng.random() < 0.6 else "channel"
        age = min(rng.expovariate(1 / CASE_AGE_MEAN_HOURS), CASE_AGE_MAX_HOURS)
        opened = now - timedelta(hours=age)
        subjects.append((spk, kind, f"{kind}-{spk}", author(), chat, chat_kind, opened))

        cat = category()
        st = status()
        lang = language()
        k = per_case()
        srcs = set()
        reporter_ids = set()
        for r in range(k):
            src = source()
            srcs.add(src)
            rep = rng.randint(*reporters) if src == "user" else None
            if rep:
                reporter_ids.add(rep)
            received = opened + timedelta(minutes=r * rng.randint(1, 90))
            reports.append(
                (
                    report_id,
                    f"bench-{report_id:010d}",  # padded: the unique index grows at its end
                    pk,
                    spk,
                    cat.pk,
                    src,
                    rep,
                    received,
                    received,
                    lang,
                    rng.choice(TEXTS),
                    chat,
                )
            )
            report_id += 1
        deadline = opened + timedelta(hours=cat.deadline_hours)
        inputs = PriorityInputs(
            severity=cat.severity,
            reporter_count=len(reporter_ids),
            has_trusted_flagger="trusted_flagger" in srcs,
            has_authority="authority" in srcs,
            reports_resolved=0,
            reports_actioned=0,
            max_signal_score=0,
            opened_at=opened,
            deadline_at=deadline,
        )
        score, components = compute_priority(inputs, now=now)
        active = st != "resolved"
        changes = (
            deadline_points_change_at(opened_at=opened, deadline_at=deadline, now=now)
            if active
            else None
        )
        claimed_by = rng.choice(mods) if st == "claimed" else None
        escalation = {"escalated": "senior", "legal": "legal"}.get(st, "")
        cases.append(
            (
                pk,
                spk,
                st,
                kind,
                cat.pk,
                lang,
                "user" in srcs,
                "trusted_flagger" in srcs,
                "authority" in srcs,
                "automated" in srcs,
                k,
                len(reporter_ids),
                score,
                json.dumps({"components": components, "computed_at": now.isoformat()}),
                deadline,
                changes,
                claimed_by,
                now + timedelta(minutes=30) if claimed_by else None,
                escalation,
                facts.senior if escalation else None,
                opened,
                now,
                opened + timedelta(hours=min(age, 24)) if not active else None,
            )
        )
    Copier(
        Subject,
        ["id", "type", "platform_id", "author", "chat_id", "chat_kind", "first_reported_at"],
        now,
    ).copy(subjects, facts.load)
    Copier(
        Case,
        [
            "id",
            "subject",
            "status",
            "subject_type",
            "category",
            "language",
            "has_user_notice",
            "has_trusted_flagger",
            "has_authority",
            "has_automated",
            "report_count",
            "reporter_count",
            "priority",
            "priority_explanation",
            "deadline_at",
            "score_changes_at",
            "claimed_by",
            "claim_expires_at",
            "escalation",
            "escalated_by",
            "created_at",
            "updated_at",
            "resolved_at",
        ],
        now,
    ).copy(cases, facts.load)
    Copier(
        Report,
        [
            "id",
            "external_id",
            "case",
            "subject",
            "category",
            "source",
            "reporter",
            "reported_at",
            "received_at",
            "language",
            "content_text",
            "chat_id",
        ],
        now,
    ).copy(reports, facts.load)


# --- IP records (disclosures) ---------------------------------------------------------------


def _ip_records(want: dict[str, int], facts: Facts, rng: random.Random, scale: Scale) -> None:
    """
    Connection records: one account holds ip_target of them (extraction reads it), the rest
    are spread over every account. Encrypted like the field would, from a pool of addresses.
    """
    from disclosures.crypto import blind_index, encrypt
    from disclosures.models import SubscriberIp

    have = facts.ips_generated
    todo = want["ip_records"] - have
    if todo <= 0:
        return
    facts.ips_generated += todo
    now = facts.now
    pool = []
    for n in range(IPS_POOL):
        ip = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}" if n % 5 else f"2001:db8::{n:x}"
        pool.append((encrypt(ip), blind_index(ip, kind="ip")))
    first, last = facts.accounts
    start = _max_id(SubscriberIp) + 1
    target = 0
    if have == 0:
        # The extraction account: the last account, an ordinary one.
        facts.ip_target = target = min(100_000, scale.ip_records_small // 10)
        facts.ip_account = last
        facts.ip_account_platform_id = f"acct-{last}"
        facts.ip_window = (now - timedelta(days=90), now)
    base = now - timedelta(days=90)

    others = last - first  # every account but the extraction one (the last)
    spread = todo - target

    def rows() -> Iterator[tuple[Any, ...]]:
        # Account by account, as a connection log exported per subscriber: the indexes that
        # lead with the account then grow in order (2.8x the rate of random order, measured).
        pk = start
        accounts: Iterable[tuple[int, int]] = ((facts.ip_account, target),) if target else ()
        accounts = itertools.chain(
            accounts,
            (
                (first + n, spread // others + (1 if n < spread % others else 0))
                for n in range(others)
            ),
        )
        for account, k in accounts:
            step = 90 * 86400 // max(k, 1)
            for j in range(k):
                ip, index = pool[rng.randrange(IPS_POOL)]
                # The id in the time keeps (account, ip, port, time) unique across stages.
                seen = base + timedelta(
                    seconds=j * step + rng.randrange(step or 1), microseconds=pk % 1_000_000
                )
                yield (pk, account, ip, index, rng.randint(1024, 65535), seen)
                pk += 1

    Copier(SubscriberIp, ["id", "account", "ip", "ip_index", "port", "seen_at"], now).copy(
        rows(), facts.load
    )


# --- hash banks ------------------------------------------------------------------------------


def _bank_hashes(want: dict[str, int], facts: Facts, rng: random.Random) -> None:
    """
    Known media in one bank, as an imported industry list: PDQ hashes (a tenth MD5), added
    by the administrator. Matching itself is measured by `manage.py bench_pdq`.
    """
    from moderation.models import Category
    from signals.models import BankedHash, HashBank

    todo = want["bank_hashes"] - facts.hashes_generated
    if todo <= 0:
        return
    bank, _ = HashBank.objects.get_or_create(
        name="BENCH_KNOWN_MEDIA",
        defaults={
            "description": "Benchmark: an imported list of known media",
            "category": Category.objects.order_by("-severity", "pk").first(),
            "created_by_id": facts.admin,
        },
    )
    start = _max_id(BankedHash) + 1
    facts.hashes_generated += todo

    def rows() -> Iterator[tuple[Any, ...]]:
        for n in range(todo):
            if n % 10:
                yield (start + n, bank.pk, "pdq", f"{rng.getrandbits(256):064x}", facts.admin)
            else:
                yield (start + n, bank.pk, "md5", f"{rng.getrandbits(128):032x}", facts.admin)

    Copier(BankedHash, ["id", "bank", "signal_type", "value", "added_by"], facts.now).copy(
        rows(), facts.load
    )


# --- audit trail ----------------------------------------------------------------------------

AUDIT_ACTIONS = ("case.claimed", "case.released", "case.decided", "case.escalated")


def _audit_events(want: dict[str, int], facts: Facts, rng: random.Random, scale: Scale) -> None:
    """
    Events as services record them, then sealed by the project's own sealer, all but the
    last `seal_pending`: the periodic seal then has the same work at both stages.
    """
    from audit import log
    from audit.models import AuditEvent
    from moderation.models import Case

    todo = want["audit_events"] - _count(AuditEvent)
    if todo <= 0:
        return
    now = facts.now
    start = _max_id(AuditEvent) + 1
    last_case = _max_id(Case)
    mods = facts.moderators
    names = {pk: name for pk, name in zip(mods, MODERATORS, strict=True)}
    roles = json.dumps(["Moderator"])

    def rows() -> Iterator[tuple[Any, ...]]:
        for i in range(todo):
            actor = rng.choice(mods)
            yield (
                start + i,
                now - timedelta(seconds=(todo - i)),
                actor,
                names[actor],
                roles,
                rng.choice(AUDIT_ACTIONS),
                "moderation.case",
                str(rng.randint(1, last_case)),
                "{}",
            )

    Copier(
        AuditEvent,
        [
            "id",
            "occurred_at",
            "actor",
            "actor_username",
            "actor_roles",
            "action",
            "target_type",
            "target_id",
            "data",
        ],
        now,
    ).copy(rows(), facts.load)
    _sequences_reset()
    facts.seal_pending = max(100, min(1_000, scale.small_cases // 20))
    started = time.perf_counter()
    sealed = 0
    wanted = _count(AuditEvent) - facts.seal_pending
    while log.tree_size() < wanted:
        batch = min(log.SEAL_BATCH, wanted - log.tree_size())
        result = log.seal(batch=batch)
        sealed += result.sealed
        if not result.sealed:
            break
    entry = facts.load.setdefault("audit sealing (project code)", {"rows": 0, "seconds": 0.0})
    entry["rows"] += sealed
    entry["seconds"] += time.perf_counter() - started


# --- after loading --------------------------------------------------------------------------


def _count(model: type[models.Model]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {model._meta.db_table}")  # noqa: S608 (a model's table)
        return int(cursor.fetchone()[0])


def _bench_models() -> list[type[models.Model]]:
    from audit.models import AuditEvent
    from disclosures.models import SubscriberIp
    from moderation.models import Case, PlatformAccount, Report, Reporter, Subject
    from signals.models import BankedHash

    return [PlatformAccount, Reporter, Subject, Case, Report, SubscriberIp, AuditEvent, BankedHash]


def _sequences_reset() -> None:
    """Ids were given by the COPY: move each sequence past them, so the app's inserts go on."""
    with connection.cursor() as cursor:
        for model in _bench_models():
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608 (a model's table)
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)",
                [table],
            )


def _analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _table_counts() -> dict[str, int]:
    return {m._meta.db_table: _count(m) for m in _bench_models()}


def _pick_cases(facts: Facts) -> None:
    """An open case of the prolific author, and one of an ordinary author, for the case page."""
    from moderation.models import Case

    facts.prolific_case = (
        Case.objects.filter(status="open", subject__author_id=facts.prolific_author)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
        or 0
    )
    facts.typical_case = (
        Case.objects.filter(status="open")
        .exclude(subject__author_id__lt=facts.prolific_author + 1 + len(HEAVY_SHARES))
        .order_by("id")
        .values_list("id", flat=True)
        .first()
        or 0
    )
