"""The residue programme: yearly plans, samples, lab results compared with the limits of the area's
target markets (a result above one opens a `ResidueCase`, flags the area for that market and
plans a follow-up sample), and the import of a laboratory's results."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.access import (
    Actor,
    get_visible,
    require,
    visible,
)
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.audit.services import record, snapshot
from agritrace.diary.models import ActiveIngredient
from agritrace.formats import shown_date
from agritrace.notifications.services import notify
from agritrace.places.models import AdminUnit
from agritrace.registry.models import CodeStatus, Market, PlantingArea

from .common import (
    _as_date,
    _as_decimal,
    _authorities,
    _holder_orgs,
    _own_province,
    _today,
    _url,
    find_ingredient,
    normalise_ingredient,
)
from .models import (
    AreaMarketFlag,
    CaseStatus,
    LabResult,
    Notice,
    ResidueCase,
    ResidueLimit,
    ResiduePlan,
    Sample,
    SampleStatus,
)

#: A residue value above this (mg/kg) is a typing error, not a measurement.
ABSURD_MG_KG = Decimal("10000")


@transaction.atomic
def set_residue_plan(
    actor: Actor,
    province: AdminUnit | int,
    year: Any,
    target_samples: Any,
    source: str = "",
    source_date: Any = None,
) -> ResiduePlan:
    """The province's yearly number of residue samples (An Giang: 100 a year, seeds 003),
    with the decision it comes from and its date ('unknown' when not given)."""
    require(actor, "plan_monitoring")
    province = _own_province(actor, province)
    errors: dict = {}
    try:
        year = int(year)
        if not 2000 <= year <= 2100:
            raise ValueError
    except (TypeError, ValueError):
        errors["year"] = _("Give a year such as 2026.")
    try:
        target = int(target_samples)
        if not 1 <= target <= 100000:
            raise ValueError
    except (TypeError, ValueError):
        errors["target_samples"] = _("Give the number of samples planned (1 or more).")
    source = " ".join(str(source or "").split())
    if len(source) > 300:
        errors["source"] = _("At most 300 characters.")
    day = _as_date(source_date, "source_date", errors, required=False)
    if day and day > _today():
        errors["source_date"] = _("The source's date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    plan, created = ResiduePlan.objects.get_or_create(
        province=province,
        year=year,
        defaults={"target_samples": target, "source": source or "unknown", "source_date": day},
    )
    before = None if created else snapshot(plan)
    if not created:
        plan.target_samples = target
        plan.source = source or plan.source
        plan.source_date = day or plan.source_date
        plan.save()
    record(actor.user, "residue_plan.set", plan, before, snapshot(plan))
    return plan


def residue_progress(actor: Actor, plan: ResiduePlan) -> dict:
    """How far the year's programme has come against its target."""
    samples = visible(actor, Sample.objects.filter(area__commune__parent=plan.province)).filter(
        Q(sampled_on__year=plan.year) | Q(sampled_on__isnull=True, planned_for__year=plan.year)
    )
    taken = samples.filter(sampled_on__isnull=False).exclude(status=SampleStatus.CANCELLED)
    analysed = taken.filter(status=SampleStatus.ANALYSED).count()
    above = taken.filter(cases__isnull=False).distinct().count()
    n_taken = taken.count()
    return {
        "target": plan.target_samples,
        "taken": n_taken,
        "planned": samples.filter(status=SampleStatus.PLANNED).count(),
        "at_laboratory": taken.filter(status=SampleStatus.SENT).count(),
        "analysed": analysed,
        "above_limit": above,
        "percent": round(100 * n_taken / plan.target_samples) if plan.target_samples else 0,
    }


def _clean_analyses(raw: Any, errors: dict) -> list[str]:
    """The catalogue names of the active ingredients to test for."""
    if isinstance(raw, str):
        raw = [p for p in raw.replace(";", ",").split(",")]
    if not isinstance(raw, list):
        errors["analyses"] = _("List the active ingredients to test for.")
        return []
    names = []
    for name in raw:
        if not isinstance(name, str):
            errors["analyses"] = _("Each analysis is the name of an active ingredient.")
            return []
        if not normalise_ingredient(name):
            continue
        if len(name) > 120:
            errors["analyses"] = _("An ingredient name is at most 120 characters.")
            return []
        found = find_ingredient(name)
        if found is None:
            errors["analyses"] = _(
                "“%(i)s” is not in the input catalogue: name its active ingredients as the "
                "catalogue does."
            ) % {"i": name.strip()}
            return []
        if found.name not in names:
            names.append(found.name)
    if not names:
        errors["analyses"] = _("List the active ingredients to test for.")
    return names


def _next_sample_code(province: AdminUnit, year: int) -> str:
    prefix = f"RS-{province.code}-{year}-"
    n = Sample.objects.filter(code__startswith=prefix).count() + 1
    while Sample.objects.filter(code=f"{prefix}{n:04d}").exists():
        n += 1
    return f"{prefix}{n:04d}"


@transaction.atomic
def register_sample(actor: Actor, data: dict, notice: Notice | None = None) -> Sample:
    """Register a residue sample taken at an area (sampled_on given: it goes to the
    laboratory) or planned for a date (planned_for)."""
    require(actor, "inspect")
    area = get_visible(actor, PlantingArea.objects.all(), pk=data.get("area"))
    errors: dict = {}
    if area.code_status == CodeStatus.NONE:
        errors["area"] = _("Samples are taken at areas that hold a code.")
    code = str(data.get("code") or "").strip()
    if code and Sample.objects.filter(code=code).exists():
        errors["code"] = _("Another sample has this code.")
    elif len(code) > 40:
        errors["code"] = _("A sample code is at most 40 characters.")
    sampled_on = _as_date(data.get("sampled_on"), "sampled_on", errors, required=False)
    planned_for = _as_date(data.get("planned_for"), "planned_for", errors, required=False)
    if sampled_on and sampled_on > _today():
        errors["sampled_on"] = _("The sampling date cannot be in the future.")
    if not sampled_on and not planned_for and "sampled_on" not in errors:
        errors["sampled_on"] = _("Give the date the sample was taken (or the planned date).")
    if planned_for and not sampled_on and planned_for < _today():
        errors["planned_for"] = _("A planned sample cannot be planned in the past.")
    lab = Organisation.objects.filter(pk=data.get("laboratory"), kind=OrgKind.LABORATORY).first()
    if lab is None:
        errors["laboratory"] = _("Choose a laboratory.")
    analyses = _clean_analyses(data.get("analyses"), errors)
    plot_or_lot = str(data.get("plot_or_lot") or "").strip()
    if len(plot_or_lot) > 120:
        errors["plot_or_lot"] = _("At most 120 characters.")
    if errors:
        raise ValidationError(errors)
    day = sampled_on or planned_for
    sample = Sample.objects.create(
        code=code or _next_sample_code(area.province, day.year),
        area=area,
        plot_or_lot=plot_or_lot,
        sampled_on=sampled_on,
        planned_for=planned_for,
        laboratory=lab,
        analyses=analyses,
        status=SampleStatus.SENT if sampled_on else SampleStatus.PLANNED,
        notice=notice,
        registered_by=actor.user,
    )
    record(actor.user, "sample.register", sample, None, snapshot(sample))
    if sampled_on:
        notify(
            [lab],
            _("Sample %(code)s sent for analysis") % {"code": sample.code},
            ", ".join(analyses),
            _url("supervision-sample", sample.pk),
        )
    return sample


@transaction.atomic
def take_sample(actor: Actor, sample: Sample, sampled_on: Any, plot_or_lot: str = "") -> Sample:
    """A planned sample (a follow-up, say) has been taken and goes to the laboratory."""
    require(actor, "inspect")
    sample = get_visible(actor, Sample.objects.select_for_update(), pk=sample.pk)
    errors: dict = {}
    if sample.status != SampleStatus.PLANNED:
        errors["status"] = _("Only a planned sample can be taken.")
    day = _as_date(sampled_on, "sampled_on", errors)
    if day and day > _today():
        errors["sampled_on"] = _("The sampling date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    before = snapshot(sample)
    sample.sampled_on = day
    sample.status = SampleStatus.SENT
    if plot_or_lot:
        sample.plot_or_lot = plot_or_lot.strip()
    sample.save()
    record(actor.user, "sample.take", sample, before, snapshot(sample))
    notify(
        [sample.laboratory],
        _("Sample %(code)s sent for analysis") % {"code": sample.code},
        ", ".join(sample.analyses),
        _url("supervision-sample", sample.pk),
    )
    return sample


def limit_for(
    market: Market, crop_id: int, ingredient: ActiveIngredient | str
) -> ResidueLimit | None:
    """The limit that applies: the crop's own for the ingredient, else any crop's, else the
    market's default for the crop, else its default."""
    found = find_ingredient(ingredient)
    ingredient_id = found.pk if found is not None else None
    rows = {
        (r.crop_id, r.ingredient_id): r
        for r in ResidueLimit.objects.filter(market=market)
        .filter(Q(ingredient__isnull=True) | Q(ingredient_id=ingredient_id))
        .filter(Q(crop_id=crop_id) | Q(crop__isnull=True))
    }
    keys = [(crop_id, None), (None, None)]
    if ingredient_id is not None:
        keys = [(crop_id, ingredient_id), (None, ingredient_id), *keys]
    for key in keys:
        if key in rows:
            return rows[key]
    return None


def _clean_result(sample: Sample, data: dict, errors: dict) -> dict:
    raw = data.get("ingredient")
    ingredient = find_ingredient(raw) if normalise_ingredient(raw) else None
    asked = ", ".join(sample.analyses)
    if not normalise_ingredient(raw):
        errors["ingredient"] = _("Name the active ingredient.")
    elif ingredient is None or ingredient.name not in sample.analyses:
        errors["ingredient"] = _(
            "The laboratory was not asked to test this sample for %(i)s (asked: %(list)s)."
        ) % {"i": ingredient or str(raw).strip(), "list": asked}
    elif sample.results.filter(ingredient=ingredient).exists():
        errors["ingredient"] = _("This sample already has a result for %(i)s.") % {"i": ingredient}
    value = _as_decimal(data.get("value_mg_kg"), "value_mg_kg", errors)
    if value is not None and value < 0:
        errors["value_mg_kg"] = _("A residue cannot be negative.")
    elif value is not None and value > ABSURD_MG_KG:
        errors["value_mg_kg"] = _("%(v)s mg/kg is not a plausible residue.") % {"v": value}
    loq = _as_decimal(data.get("loq_mg_kg"), "loq_mg_kg", errors, required=False)
    if loq is not None and loq < 0:
        errors["loq_mg_kg"] = _("A limit of quantification cannot be negative.")
    elif loq is not None and loq > ABSURD_MG_KG:
        errors["loq_mg_kg"] = _("%(v)s mg/kg is not a plausible limit.") % {"v": loq}
    analysed_on = _as_date(data.get("analysed_on"), "analysed_on", errors)
    if analysed_on and sample.sampled_on and analysed_on < sample.sampled_on:
        errors["analysed_on"] = _("The result is dated before the sample was taken (%(d)s).") % {
            "d": shown_date(sample.sampled_on)
        }
    elif analysed_on and analysed_on > _today():
        errors["analysed_on"] = _("The date of analysis cannot be in the future.")
    return {
        "ingredient": ingredient,
        "value_mg_kg": value,
        "loq_mg_kg": loq,
        "analysed_on": analysed_on,
    }


@transaction.atomic
def enter_result(actor: Actor, sample: Sample, data: dict) -> tuple[LabResult, list[ResidueCase]]:
    """The laboratory enters one result (active ingredient, mg/kg, limit of quantification,
    date). It is compared with the limits of each of the area's target markets: above one,
    a case is opened, the area is flagged for that market, and a follow-up sample is planned.
    A follow-up sample whose results are all within the limits closes the cases behind it
    and lifts their flags."""
    require(actor, "enter_lab_results")
    sample = get_visible(actor, Sample.objects.select_for_update(), pk=sample.pk)
    if sample.status != SampleStatus.SENT:
        raise ValidationError(
            {
                "sample": _("Results are entered for a sample at the laboratory, not a %(s)s one.")
                % {"s": sample.get_status_display().lower()}
            }
        )
    errors: dict = {}
    clean = _clean_result(sample, data, errors)
    if errors:
        raise ValidationError(errors)
    result = LabResult.objects.create(sample=sample, entered_by=actor.user, **clean)
    record(actor.user, "lab_result.enter", result, None, snapshot(result))
    cases = _compare_with_limits(actor, sample, result)
    done = set(sample.results.values_list("ingredient__name", flat=True))
    if set(sample.analyses) <= done:
        sample.status = SampleStatus.ANALYSED
        sample.save(update_fields=["status"])
        _close_cases_behind(actor, sample)
    return result, cases


def _compare_with_limits(actor: Actor, sample: Sample, result: LabResult) -> list[ResidueCase]:
    if not result.detected:
        return []
    area = sample.area
    cases = []
    for market in area.markets.all():
        limit = limit_for(market, area.crop_id, result.ingredient)
        if limit is None or result.value_mg_kg <= limit.mrl_mg_kg:
            continue
        cases.append(_open_case(actor, sample, result, market, limit))
    return cases


def _open_case(
    actor: Actor, sample: Sample, result: LabResult, market: Market, limit: ResidueLimit
) -> ResidueCase:
    area = sample.area
    follow_up = _follow_up_sample(actor, sample, result.ingredient.name)
    case = ResidueCase.objects.create(
        sample=sample,
        result=result,
        area=area,
        market=market,
        ingredient=result.ingredient,
        value_mg_kg=result.value_mg_kg,
        limit_mg_kg=limit.mrl_mg_kg,
        limit_source=limit.source[:300],
        follow_up=follow_up,
    )
    record(actor.user, "residue_case.open", case, None, snapshot(case))
    reason = _("%(i)s at %(v)s mg/kg above the %(m)s limit of %(l)s mg/kg (sample %(s)s)") % {
        "i": result.ingredient,
        "v": result.value_mg_kg.normalize(),
        "m": market.code,
        "l": limit.mrl_mg_kg.normalize(),
        "s": sample.code,
    }
    flag = AreaMarketFlag.objects.filter(area=area, market=market, lifted_at__isnull=True).first()
    if flag is None:
        flag = AreaMarketFlag.objects.create(area=area, market=market, reason=reason, case=case)
        record(actor.user, "area_market_flag.raise", area, None, snapshot(flag), reason)
    notify(
        [*_authorities(area.province), *_holder_orgs(area)],
        _("Residue above the %(m)s limit at %(code)s") % {"m": market.code, "code": area.code},
        reason,
        _url("supervision-case", case.pk),
    )
    return case


def _follow_up_sample(actor: Actor, sample: Sample, ingredient: str) -> Sample:
    """One planned follow-up per sample; a second ingredient above a limit joins it."""
    existing = sample.follow_ups.filter(status=SampleStatus.PLANNED).first()
    if existing is not None:
        if ingredient not in existing.analyses:
            existing.analyses = [*existing.analyses, ingredient]
            existing.save(update_fields=["analyses"])
        return existing
    n = sample.follow_ups.count() + 1
    code = f"{sample.code}-F{n}"[:40]
    while Sample.objects.filter(code=code).exists():
        n += 1
        code = f"{sample.code}-F{n}"[:40]
    follow = Sample.objects.create(
        code=code,
        area=sample.area,
        plot_or_lot=sample.plot_or_lot,
        planned_for=_today() + timedelta(days=14),
        laboratory=sample.laboratory,
        analyses=list(sample.analyses),
        status=SampleStatus.PLANNED,
        follow_up_of=sample,
        notice=sample.notice,
        registered_by=actor.user,
    )
    record(actor.user, "sample.plan_follow_up", follow, None, snapshot(follow))
    return follow


def _close_cases_behind(actor: Actor, sample: Sample) -> None:
    """Once a follow-up sample is fully analysed, the cases that asked for it close: within
    the limits, with their flags lifted; above again, pointing at the new case."""
    for case in ResidueCase.objects.filter(follow_up=sample, status=CaseStatus.OPEN):
        again = sample.cases.filter(market=case.market).first()
        if again is not None:
            text = _("Follow-up sample %(s)s is again above the limit: see case %(n)d.") % {
                "s": sample.code,
                "n": again.pk,
            }
        else:
            text = _("Follow-up sample %(s)s is within the limits.") % {"s": sample.code}
        _close_case(actor, case, text, lift=again is None)


def _close_case(actor: Actor, case: ResidueCase, resolution: str, lift: bool) -> ResidueCase:
    before = snapshot(case)
    case.status = CaseStatus.CLOSED
    case.closed_at = timezone.now()
    case.closed_by = actor.user
    case.resolution = resolution
    case.save()
    record(actor.user, "residue_case.close", case, before, snapshot(case), resolution)
    still_open = ResidueCase.objects.filter(
        area=case.area, market=case.market, status=CaseStatus.OPEN
    ).exists()
    if lift and not still_open:
        for flag in AreaMarketFlag.objects.filter(
            area=case.area, market=case.market, lifted_at__isnull=True
        ):
            before_flag = snapshot(flag)
            flag.lifted_at = timezone.now()
            flag.lifted_by = actor.user
            flag.lift_reason = resolution
            flag.save()
            record(
                actor.user,
                "area_market_flag.lift",
                case.area,
                before_flag,
                snapshot(flag),
                resolution,
            )
        notify(
            _holder_orgs(case.area),
            _("%(code)s may again be used for %(m)s") % {"code": case.area.code, "m": case.market},
            resolution,
            _url("supervision-case", case.pk),
        )
    return case


@transaction.atomic
def close_case(actor: Actor, case: ResidueCase, resolution: str) -> ResidueCase:
    """An officer closes a case (for instance after the area was cleared another way); the
    area's flag for the market lifts when no other case for it stays open."""
    require(actor, "decide")
    case = get_visible(actor, ResidueCase.objects.select_for_update(), pk=case.pk)
    if case.status != CaseStatus.OPEN:
        raise ValidationError({"action": _("This case is already closed.")})
    if not (resolution or "").strip():
        raise ValidationError({"resolution": _("Say how the case was resolved.")})
    return _close_case(actor, case, resolution.strip(), lift=True)


def active_flags(area: PlantingArea) -> QuerySet:
    return AreaMarketFlag.objects.filter(area=area, lifted_at__isnull=True).select_related(
        "market", "case"
    )


def is_flagged_for(area: PlantingArea, market: Market) -> bool:
    """Whether the area must not be used for this market because of a residue finding
    (what registry.services.code_usable_for can honour)."""
    return AreaMarketFlag.objects.filter(area=area, market=market, lifted_at__isnull=True).exists()


RESULT_COLUMNS = ["sample_code", "ingredient", "value_mg_kg", "loq_mg_kg", "analysed_on"]


@dataclass
class ImportSummary:
    results: int
    cases: int


def _rows_from(data: bytes, filename: str) -> list[dict]:
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise ValidationError({"file": _("This is not a readable XLSX file.")}) from exc
        rows = list(book.active.iter_rows(values_only=True))
        if not rows:
            return []
        header = [str(h or "").strip().lower() for h in rows[0]]
        return [
            {header[i]: cell for i, cell in enumerate(row) if i < len(header)}
            for row in rows[1:]
            if any(c not in (None, "") for c in row)
        ]
    if name.endswith(".csv") or not name:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError({"file": _("A CSV file must be UTF-8 text.")}) from exc
        reader = csv.DictReader(io.StringIO(text))
        reader.fieldnames = [str(f or "").strip().lower() for f in reader.fieldnames or []]
        return [
            r for r in reader if any((v or "").strip() for v in r.values() if isinstance(v, str))
        ]
    raise ValidationError({"file": _("Upload a CSV or XLSX file.")})


@transaction.atomic
def import_results(actor: Actor, data: bytes, filename: str) -> ImportSummary:
    """Results from the laboratory's spreadsheet (columns: sample_code, ingredient,
    value_mg_kg, loq_mg_kg, analysed_on). All or nothing: every row is tried, every problem
    is reported with its row number and field, and if there is any, nothing is kept."""
    require(actor, "enter_lab_results")
    rows = _rows_from(data, filename)
    if not rows:
        raise ValidationError({"file": _("The file has no rows.")})
    missing = [c for c in RESULT_COLUMNS if c != "loq_mg_kg" and c not in rows[0]]
    if missing:
        raise ValidationError({"file": _("Missing columns: %(c)s") % {"c": ", ".join(missing)}})
    problems: list[str] = []
    results = cases = 0
    samples = visible(actor, Sample.objects.all())
    for n, row in enumerate(rows, start=2):  # row 1 is the header
        code = str(row.get("sample_code") or "").strip()
        sample = samples.filter(code=code).first() if code else None
        if sample is None:
            problems.append(
                _("row %(n)d, sample_code: no sample %(c)s sent to you.") % {"n": n, "c": code}
            )
            continue
        value = row.get("analysed_on")
        if hasattr(value, "date"):
            value = value.date()
        try:
            _r, opened = enter_result(
                actor,
                sample,
                {
                    "ingredient": row.get("ingredient"),
                    "value_mg_kg": row.get("value_mg_kg"),
                    "loq_mg_kg": row.get("loq_mg_kg"),
                    "analysed_on": value,
                },
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    problems.append(
                        _("row %(n)d, %(f)s: %(m)s") % {"n": n, "f": field, "m": message}
                    )
            continue
        results += 1
        cases += len(opened)
    if problems:
        raise ValidationError({"rows": problems})
    return ImportSummary(results=results, cases=cases)
