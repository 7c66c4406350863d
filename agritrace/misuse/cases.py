"""Findings into cases: one `Case` per rule × subject × season, opened the first time a rule
finds something and updated (evidence, score, `last_found_at`, `times_found`) by every later
run, never duplicated (the unique constraint decides; a concurrent run that loses the race
updates the winner's row under a row lock).

A case the officer has decided on keeps its decision: a *dismissed* case is updated (its
evidence shows what the rule sees now) but reopened only when the finding grew: its ratio is
above the ratio it had when it was dismissed × (1 + REOPEN_MARGIN). A *confirmed* or
*actioned* case is updated and never reopened (its decision stands; a new season makes a new
case). New and reopened cases are notified to the commune where the land is and to the
province's plant-protection office and provincial department, and audited."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.models import Organisation, OrgKind
from agritrace.audit.services import record, snapshot
from agritrace.notifications.services import notify
from agritrace.registry.models import PackingHouse, PlantingArea

from .findings import Finding
from .models import SEVERITY_WEIGHT, Case, CaseStatus, CaseStep, Rule

log = logging.getLogger(__name__)

#: A dismissed case reopens only when the ratio grew by more than this share.
REOPEN_MARGIN = 0.1


def score_of(severity: str, ratio: float) -> float:
    """A case's score: the rule's severity weight × how far its threshold is crossed."""
    return round(SEVERITY_WEIGHT.get(severity, 1.0) * max(1.0, float(ratio)), 4)


class _Subjects:
    """Code, commune and province of the findings' subjects, loaded in three queries."""

    def __init__(self, findings: list[Finding]):
        ids: dict[str, set[int]] = {"area": set(), "packing_house": set(), "organisation": set()}
        for f in findings:
            ids[f.subject_kind].add(f.subject_id)
        self.areas = {
            a.pk: a
            for a in PlantingArea.objects.filter(pk__in=ids["area"]).select_related(
                "commune__parent"
            )
        }
        self.houses = {
            h.pk: h
            for h in PackingHouse.objects.filter(pk__in=ids["packing_house"]).select_related(
                "commune__parent"
            )
        }
        self.orgs = {
            o.pk: o
            for o in Organisation.objects.filter(pk__in=ids["organisation"]).select_related(
                "unit__parent"
            )
        }

    def fields(self, f: Finding) -> dict:
        out: dict = {"area": None, "packing_house": None, "organisation": None}
        if f.subject_kind == "area":
            holder = self.areas.get(f.subject_id)
            out["area"] = holder
        elif f.subject_kind == "packing_house":
            holder = self.houses.get(f.subject_id)
            out["packing_house"] = holder
        else:
            holder = None
            org = self.orgs.get(f.subject_id)
            out["organisation"] = org
            if org is not None:
                unit = org.unit
                out["province"] = unit.province
                out["commune"] = unit if unit.level == "commune" else None
                out["code"] = f.code or org.identifier or ""
            return out
        if holder is not None:
            out["commune"] = holder.commune
            out["province"] = holder.commune.province
            out["code"] = f.code or holder.code or ""
        return out


def _evidence(f: Finding, rule: Rule) -> dict:
    return {
        "rule": rule.code,
        "rule_thresholds": dict(rule.thresholds or {}),
        "figures": f.figures,
        "threshold": f.threshold,
        "ratio": f.ratio,
        "events": f.events,
        "event_count": f.event_count,
        "lots": f.lots,
        "lot_count": f.lot_count,
    }


def case_url(case: Case) -> str:
    try:
        return reverse("misuse:case", args=[case.pk])
    except NoReverseMatch:
        return ""


def _recipients(case: Case) -> list[Organisation]:
    q = Organisation.objects.none()
    if case.commune_id:
        q = q | Organisation.objects.filter(kind=OrgKind.COMMUNE, unit_id=case.commune_id)
    if case.province_id:
        q = q | Organisation.objects.filter(
            kind__in=[OrgKind.PLANT_PROTECTION, OrgKind.PROVINCE], unit_id=case.province_id
        )
    return list(q)


def _announce(case: Case, reopened: bool = False) -> None:
    title = (
        _("Misuse case reopened: %(rule)s, %(code)s")
        if reopened
        else _("New misuse case: %(rule)s, %(code)s")
    ) % {"rule": case.rule.title, "code": case.code or case.subject_key}
    notify(_recipients(case), title, case.summary, case_url(case))


def _upsert_one(f: Finding, rule: Rule, subjects: _Subjects, now: datetime) -> str:
    """Open or update one case; returns "opened", "updated" or "reopened"."""
    where = subjects.fields(f)
    values = {
        "subject_kind": f.subject_kind,
        "area": where["area"],
        "packing_house": where["packing_house"],
        "organisation": where["organisation"],
        "code": (where.get("code") or f.code or "")[:40],
        "party_id": f.party_id,
        "province": where.get("province"),
        "commune": where.get("commune"),
        "severity": rule.severity,
        "score": score_of(rule.severity, f.ratio),
        "explanation": f.explanation,
        "evidence": _evidence(f, rule),
        "summary": f.summary[:500],
        "last_found_at": now,
    }
    key = {"rule": rule, "subject_key": f.subject_key, "season": f.season}
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(**key).first()
        if case is None:
            try:
                with transaction.atomic():
                    case = Case.objects.create(**key, **values, first_found_at=now)
            except IntegrityError:  # a concurrent run opened it first: update theirs
                case = Case.objects.select_for_update().get(**key)
            else:
                record(None, "misuse.case_opened", case, after=snapshot(case))
                _announce(case)
                return "opened"
        before = snapshot(case)
        reopened = False
        if case.status == CaseStatus.DISMISSED:
            dismissed_ratio = float(
                case.evidence.get("dismissed_ratio", case.evidence.get("ratio", 1.0))
            )
            values["evidence"]["dismissed_ratio"] = dismissed_ratio
            if f.ratio > dismissed_ratio * (1 + REOPEN_MARGIN):
                reopened = True
                values["evidence"].pop("dismissed_ratio")
        # A confirmed or actioned case keeps its status: only its evidence moves.
        for name, value in values.items():
            setattr(case, name, value)
        case.times_found += 1
        if reopened:
            CaseStep.objects.create(
                case=case,
                at=now,
                from_status=case.status,
                to_status=CaseStatus.OPEN,
                note=_("Found again with a ratio of %(new).2f, above %(old).2f when dismissed")
                % {"new": f.ratio, "old": dismissed_ratio},
            )
            case.status = CaseStatus.OPEN
        case.save()
        if reopened:
            record(None, "misuse.case_reopened", case, before=before, after=snapshot(case))
            _announce(case, reopened=True)
            return "reopened"
        return "updated"


def upsert(findings: Iterable[Finding], *, now: datetime | None = None) -> tuple[int, int]:
    """Open or update the cases of `findings`; returns (opened, updated). A finding of an
    unknown or disabled rule is skipped (logged). Reopened cases count as opened."""
    findings = list(findings)
    if not findings:
        return (0, 0)
    now = now or timezone.now()
    rules = {r.code: r for r in Rule.objects.filter(code__in={f.rule for f in findings})}
    subjects = _Subjects(findings)
    opened = updated = 0
    for f in findings:
        rule = rules.get(f.rule)
        if rule is None or not rule.enabled:
            log.warning("finding of unknown or disabled rule %s skipped", f.rule)
            continue
        outcome = _upsert_one(f, rule, subjects, now)
        if outcome == "updated":
            updated += 1
        else:
            opened += 1
    return (opened, updated)
