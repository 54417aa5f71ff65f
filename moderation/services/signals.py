"""
Automated signals added to a case after intake (a hash match found in the background): stored
with the case's other signals, and the case re-scored so the signal moves it up the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction

import audit
from moderation import events
from moderation.detectors import LIVE, OFF, SHADOW, detector_modes
from moderation.models import Case, CaseSignal, Report
from moderation.services.priority import cases_refresh


@dataclass(frozen=True)
class SignalFound:
    report_id: int
    kind: str  # CaseSignal.Kind
    name: str  # the detector: a bank's name, a model's version
    label: str
    score: int  # 0-100
    matched_hash: str = ""
    details: dict[str, Any] | None = None
    detector: str = ""  # "bank:NAME", "model:<category>": its mode decides how it is stored


@transaction.atomic
def case_signals_add(*, found: list[SignalFound], action: str) -> list[CaseSignal]:
    """
    Store the signals on their reports' cases (locked in id order, as intake locks them),
    re-score those cases, and record `action` once per case. A signal whose detector is off
    is dropped; a shadow one is stored with its mode, and the priority ignores it.
    """
    modes = detector_modes({f.detector for f in found if f.detector})
    found = [f for f in found if not f.detector or modes[f.detector] != OFF]
    if not found:
        return []
    reports = dict(
        Report.objects.filter(pk__in={f.report_id for f in found}).values_list("pk", "case_id")
    )
    case_ids = sorted(set(reports.values()))
    list(Case.objects.select_for_update().filter(pk__in=case_ids).order_by("pk").values_list("pk"))
    made = CaseSignal.objects.bulk_create(
        [
            CaseSignal(
                case_id=reports[f.report_id],
                report_id=f.report_id,
                kind=f.kind,
                name=f.name,
                label=f.label,
                score=max(0, min(100, f.score)),
                matched_hash=f.matched_hash,
                details=f.details or {},
                detector=f.detector,
                mode=modes.get(f.detector, LIVE),
            )
            for f in found
            if f.report_id in reports
        ]
    )
    cases_refresh(case_ids=case_ids)
    touched = sorted({s.case_id for s in made})
    transaction.on_commit(lambda: events.signals_added.send(sender=CaseSignal, case_ids=touched))
    for case_id in case_ids:
        names = sorted({s.name for s in made if s.case_id == case_id})
        audit.record(
            action=action,
            actor=None,
            target_type=Case._meta.label_lower,
            target_id=case_id,
            data={"detectors": names, "signals": sum(1 for s in made if s.case_id == case_id)},
        )
    return made


@transaction.atomic
def case_signals_add_new(
    *, found: list[SignalFound], action: str, kind: str, identity: tuple[str, ...]
) -> list[CaseSignal]:
    """
    `case_signals_add` for the signals not stored yet, a signal being the same one when the
    `identity` fields (of `SignalFound` and `CaseSignal`, e.g. report_id and name) agree. The
    cases are locked first, in id order as intake locks them, so a task and the relay handling
    the same report at the same moment add its signal once.
    """
    report_cases = dict(
        Report.objects.filter(pk__in={f.report_id for f in found}).values_list("pk", "case_id")
    )
    list(
        Case.objects.select_for_update()
        .filter(pk__in={c for c in report_cases.values() if c is not None})
        .order_by("pk")
        .values_list("pk")
    )
    stored = set(
        CaseSignal.objects.filter(report_id__in=report_cases, kind=kind).values_list(*identity)
    )
    new: list[SignalFound] = []
    for f in found:
        key = tuple(getattr(f, field) for field in identity)
        if key not in stored:
            stored.add(key)
            new.append(f)
    return case_signals_add(found=new, action=action)


REMODE_CHUNK = 500


def _announce(case_ids: list[int]) -> None:
    events.signals_added.send(sender=CaseSignal, case_ids=case_ids)


def detector_signals_remode(*, detector: str, mode: str) -> int:
    """
    Give the signals of `detector` on active cases its new mode and re-score those cases, so a
    detector put live starts to count at once and one put in shadow (or off: its signals stay
    shown, never weighed) stops. Decided cases keep what they were decided with. A chunk of
    cases at a time, each in its own transaction with the cases locked in id order (as intake
    locks them); the cases whose signals now count are announced (`signals_added`), so
    automatic actions weigh them. Returns how many cases were re-scored.
    """
    stored = SHADOW if mode == OFF else mode
    rescored, after = 0, 0
    while True:
        ids = list(
            CaseSignal.objects.filter(
                detector=detector, case__status__in=Case.ACTIVE, case_id__gt=after
            )
            .exclude(mode=stored)
            .values_list("case_id", flat=True)
            .distinct()
            .order_by("case_id")[:REMODE_CHUNK]
        )
        if not ids:
            return rescored
        with transaction.atomic(durable=True):
            locked = list(
                Case.objects.select_for_update()
                .filter(pk__in=ids, status__in=Case.ACTIVE)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            CaseSignal.objects.filter(detector=detector, case_id__in=locked).update(mode=stored)
            cases_refresh(case_ids=locked)
            if stored == LIVE and locked:
                transaction.on_commit(partial(_announce, locked))
        rescored += len(locked)
        after = ids[-1]
