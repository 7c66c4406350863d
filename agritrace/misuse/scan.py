"""Run the rules: `scan(province, season)` evaluates every enabled rule over a province's
season (the full scan) or, with `subjects`, over the subjects a capture touched (the
incremental checks, `incremental.py`): the same rule functions either way."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from agritrace.places.models import AdminUnit, Level

from .detect import RULES, Context
from .findings import Finding, parse_season
from .models import Rule

log = logging.getLogger(__name__)


def find_province(name_or_code: str | AdminUnit) -> AdminUnit:
    """A province by its name or official code (current tree first); ValidationError naming
    the field when there is none."""
    if isinstance(name_or_code, AdminUnit):
        return name_or_code
    text = str(name_or_code or "").strip()
    found = (
        AdminUnit.objects.filter(level=Level.PROVINCE)
        .filter(name__iexact=text)
        .order_by("-tree")
        .first()
        or AdminUnit.objects.filter(level=Level.PROVINCE, code=text).order_by("-tree").first()
    )
    if found is None:
        raise ValidationError({"province": _("Unknown province: %(name)s") % {"name": text}})
    return found


def check_season(season: str | int) -> str:
    """The season as a string; ValidationError naming the field for anything but a year."""
    try:
        return str(parse_season(season))
    except ValueError:
        raise ValidationError(
            {
                "season": _("Unknown season %(season)s: a season is a harvest year such as 2026")
                % {"season": season}
            }
        ) from None


def enabled_rules() -> dict[str, Rule]:
    return {r.code: r for r in Rule.objects.filter(enabled=True, code__in=RULES)}


def scan(
    province: AdminUnit | str,
    season: str | int,
    *,
    subjects: dict[str, set[int]] | None = None,
    rules: list[str] | None = None,
    skip: set[str] | None = None,
) -> list[Finding]:
    """Every enabled rule's findings for the province's season (sorted by rule and subject).
    `subjects` ({"area": ids, "packing_house": ids, "organisation": ids}) restricts the run
    to those subjects; `rules` to some rule codes; `skip` leaves some out."""
    province = find_province(province)
    season = check_season(season)
    if subjects is None:  # a full scan: the lot origins catch up with events and codes first
        from .origins import refresh

        refresh()
    active = enabled_rules()
    ctx = Context(province=province, season=season, rules=active, subjects=subjects)
    findings: list[Finding] = []
    for code, function in RULES.items():
        if code not in active or (rules is not None and code not in rules):
            continue
        if skip and code in skip:
            continue
        findings.extend(function(ctx))
    findings.sort(key=lambda f: f.key)
    return findings


def run_scan(
    province: AdminUnit | str, season: str | int, *, dry_run: bool = False
) -> tuple[list[Finding], int, int]:
    """The full scan of a province's season, its findings written as cases unless `dry_run`:
    (findings, cases opened, cases updated)."""
    from .cases import upsert

    findings = scan(province, season)
    if dry_run:
        return findings, 0, 0
    opened, updated = upsert(findings)
    log.info("misuse scan %s %s: %d findings", province, season, len(findings))
    return findings, opened, updated
