"""Harvest season calendars (`SeasonCalendar`): data the authority keeps, per crop and region,
each with its source and date; `in_season()` answers whether a day falls in a crop's harvest
in a province (None where no calendar covers it: no answer is invented).

Who edits: the ministry any calendar; a province's department or plant-protection office the
calendars of its own province only (those whose provinces are exactly its province). A
calendar naming no province (any province) or several is the ministry's. Every change is
audited. Calendars are reference data: everyone logged in reads them.

Pepper (hồ tiêu) has no calendar: no source for its harvest months was found, so none is
shipped (see data/README.md); `in_season` answers None for it until the authority adds one.
"""

import calendar as _months
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agritrace.accounts.access import Actor, require
from agritrace.accounts.models import OrgKind
from agritrace.audit.services import record, snapshot
from agritrace.places.models import AdminUnit
from agritrace.places.services import find_province
from agritrace.registry import sheets
from agritrace.registry.models import Crop

from .models import SeasonCalendar

# ------------------------------------------------------------------ the question


def _crop_id(crop) -> int | None:
    if isinstance(crop, Crop):
        return crop.pk
    if isinstance(crop, int):
        return crop
    found = Crop.objects.filter(code=str(crop)).values_list("pk", flat=True).first()
    return found


def _windows(cal: SeasonCalendar, year: int) -> tuple[date, date]:
    """The harvest of the season that starts in `year` (it may end in the next year)."""
    start = date(year, cal.harvest_start_month, 1)
    end_year = year if cal.harvest_end_month >= cal.harvest_start_month else year + 1
    last = _months.monthrange(end_year, cal.harvest_end_month)[1]
    return start, date(end_year, cal.harvest_end_month, last)


def covering(crop, province: AdminUnit | str) -> list[SeasonCalendar]:
    """The calendars of `crop` (a Crop, its id or code) that cover `province` (a province,
    any unit inside it, or a province's name or code)."""
    crop_id = _crop_id(crop)
    unit = find_province(province) if province is not None else None
    if crop_id is None or unit is None:
        return []
    return [c for c in SeasonCalendar.objects.filter(crop_id=crop_id) if c.covers(unit)]


def in_season(crop, province, day: date, margin_days: int = 0) -> bool | None:
    """Whether `day` falls in a harvest of `crop` in `province`, widened by `margin_days` on
    each side; None when no calendar covers that crop there (unknown, not "no")."""
    calendars = covering(crop, province)
    if not calendars:
        return None
    margin = timedelta(days=max(0, margin_days))
    for cal in calendars:
        for year in (day.year - 1, day.year, day.year + 1):
            start, end = _windows(cal, year)
            if start - margin <= day <= end + margin:
                return True
    return False


# ------------------------------------------------------------------ checking and editing

FIELDS = (
    "crop",
    "region",
    "provinces",
    "label",
    "harvest_start_month",
    "harvest_end_month",
    "source",
    "source_date",
    "note",
)


@dataclass
class CalendarData:
    crop: Crop | None
    region: str
    provinces: list[str]
    label: str
    harvest_start_month: int | None
    harvest_end_month: int | None
    source: str
    source_date: date | None
    note: str = ""


def _province_names(names, errors: dict) -> list[str]:
    out = []
    for name in names or []:
        unit = find_province(name) if str(name).strip() else None
        if unit is None:
            errors["provinces"] = _("Unknown province “%(p)s”.") % {"p": name}
            continue
        if unit.name not in out:
            out.append(unit.name)
    return out


def _check(data: CalendarData) -> CalendarData:
    errors: dict[str, str] = {}
    if data.crop is None:
        errors["crop"] = _("Unknown crop.")
    region = (data.region or "").strip()
    if not region:
        errors["region"] = _("Name the region.")
    elif len(region) > 120:
        errors["region"] = _("At most %(n)d characters.") % {"n": 120}
    label = (data.label or "").strip() or "main"
    if len(label) > 40:
        errors["label"] = _("At most %(n)d characters.") % {"n": 40}
    for name in ("harvest_start_month", "harvest_end_month"):
        value = getattr(data, name)
        if not isinstance(value, int) or not 1 <= value <= 12:
            errors[name] = _("Expected a number from %(a)d to %(b)d.") % {"a": 1, "b": 12}
    source = (data.source or "").strip()
    if not source:
        errors["source"] = _("Say where this comes from (or write “unknown”).")
    elif len(source) > 300:
        errors["source"] = _("At most %(n)d characters.") % {"n": 300}
    if data.source_date is not None and data.source_date > timezone.localdate():
        errors["source_date"] = _("The source cannot be dated in the future.")
    provinces = _province_names(data.provinces, errors)
    if errors:
        raise ValidationError(errors)
    return CalendarData(
        crop=data.crop,
        region=region,
        provinces=provinces,
        label=label,
        harvest_start_month=data.harvest_start_month,
        harvest_end_month=data.harvest_end_month,
        source=source,
        source_date=data.source_date,
        note=(data.note or "").strip(),
    )


def _not_yours() -> str:
    return _(
        "A province edits the calendars of its own province only; the others are the ministry's."
    )


def may_edit(actor: Actor, provinces: list[str]) -> bool:
    """The ministry edits any calendar; a province's authority those of its own province."""
    from agritrace.accounts.access import can

    if not can(actor, "manage_catalogue"):
        return False
    if actor.kind == OrgKind.MINISTRY:
        return True
    own = actor.organisation.unit.province.name
    return list(provinces) == [own]


def require_edit(actor: Actor, provinces: list[str]) -> None:
    require(actor, "manage_catalogue")
    if not may_edit(actor, provinces):
        raise PermissionDenied(_not_yours())


def _apply(cal: SeasonCalendar, data: CalendarData) -> None:
    for name in FIELDS:
        setattr(cal, name, getattr(data, name))


def _duplicate(data: CalendarData, exclude: int | None = None) -> None:
    clash = SeasonCalendar.objects.filter(crop=data.crop, region=data.region, label=data.label)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError(
            {"label": _("This crop already has a season with this label in this region.")}
        )


@transaction.atomic
def create_calendar(actor: Actor, data: CalendarData) -> SeasonCalendar:
    data = _check(data)
    require_edit(actor, data.provinces)
    _duplicate(data)
    cal = SeasonCalendar()
    _apply(cal, data)
    cal.save()
    record(actor.user, "season_calendar.create", cal, None, snapshot(cal))
    return cal


@transaction.atomic
def update_calendar(actor: Actor, cal: SeasonCalendar, changes: dict) -> SeasonCalendar:
    """Change some fields (`changes`: field → value, the crop as a Crop)."""
    cal = SeasonCalendar.objects.select_for_update().get(pk=cal.pk)
    require_edit(actor, cal.provinces)
    current = CalendarData(**{name: getattr(cal, name) for name in FIELDS})
    for name, value in changes.items():
        if name in FIELDS:
            setattr(current, name, value)
    data = _check(current)
    require_edit(actor, data.provinces)
    _duplicate(data, exclude=cal.pk)
    before = snapshot(cal)
    _apply(cal, data)
    cal.save()
    record(actor.user, "season_calendar.update", cal, before, snapshot(cal))
    return cal


@transaction.atomic
def delete_calendar(actor: Actor, cal: SeasonCalendar, reason: str = "") -> None:
    cal = SeasonCalendar.objects.select_for_update().get(pk=cal.pk)
    require_edit(actor, cal.provinces)
    record(actor.user, "season_calendar.delete", cal, snapshot(cal), None, reason)
    cal.delete()


def calendars(crop: str = "", province: str = "") -> QuerySet[SeasonCalendar]:
    """Every calendar (reference data), optionally of a crop (code) and covering a
    province (name or code)."""
    found = SeasonCalendar.objects.select_related("crop").order_by(
        "crop__code", "region", "harvest_start_month", "pk"
    )
    if crop:
        found = found.filter(crop__code=crop)
    if province:
        unit = find_province(province)
        if unit is None:
            raise ValidationError({"province": _("Unknown province “%(p)s”.") % {"p": province}})
        ids = [c.pk for c in found if c.covers(unit)]
        found = found.filter(pk__in=ids)
    return found


# ------------------------------------------------------------------ the import

COLUMNS = [
    sheets.Column("crop", True, "durian", gettext_lazy("The crop's code (durian, mango, ...).")),
    sheets.Column("region", True, "Đắk Lắk", gettext_lazy("The region's name.")),
    sheets.Column(
        "provinces",
        False,
        "Đắk Lắk",
        gettext_lazy("Province names or codes separated by ';' (empty: any province)."),
    ),
    sheets.Column("label", False, "main", gettext_lazy("The season's label (default: main).")),
    sheets.Column("harvest_start_month", True, 8, gettext_lazy("Month the harvest starts (1-12).")),
    sheets.Column("harvest_end_month", True, 9, gettext_lazy("Month the harvest ends (1-12).")),
    sheets.Column("source", True, "unknown", gettext_lazy("Where this comes from (or “unknown”).")),
    sheets.Column("source_date", False, "", gettext_lazy("The source's date.")),
    sheets.Column("note", False, "", gettext_lazy("A note.")),
]


def template() -> bytes:
    return sheets.template_xlsx(
        _("AgriTrace: import of harvest season calendars"),
        "calendars",
        COLUMNS,
        [
            _("One row per crop season and region. Columns marked * are required."),
            _("A row with the crop, region and label of an existing season replaces it."),
            _("Nothing is imported while a row is wrong."),
            _("Delete the example row before importing."),
        ],
    )


def _row_data(row: dict) -> CalendarData:
    code = sheets.cell_text(row, "crop", required=True)
    crop = Crop.objects.filter(code__iexact=code).first()
    if crop is None:
        raise sheets.RowError("crop", _("Unknown crop."))
    provinces = [p.strip() for p in sheets.cell_text(row, "provinces").split(";") if p.strip()]
    return CalendarData(
        crop=crop,
        region=sheets.cell_text(row, "region", required=True),
        provinces=provinces,
        label=sheets.cell_text(row, "label"),
        harvest_start_month=sheets.cell_int(row, "harvest_start_month", True, 1, 12),
        harvest_end_month=sheets.cell_int(row, "harvest_end_month", True, 1, 12),
        source=sheets.cell_text(row, "source", required=True),
        source_date=sheets.cell_date(row, "source_date"),
        note=sheets.cell_text(row, "note"),
    )


def _same(cal: SeasonCalendar, data: CalendarData) -> bool:
    return all(getattr(cal, name) == getattr(data, name) for name in FIELDS)


def import_calendars(
    actor: Actor, content: bytes, filename: str = "calendars.xlsx", apply: bool = False
) -> sheets.Report:
    """Check every row (a dry run by default); with `apply`, create or replace them all in
    one transaction, or none if any row is wrong. Re-importing a file changes nothing."""
    require(actor, "manage_catalogue")
    report = sheets.Report(dry_run=not apply)
    rows = sheets.read_rows(content, filename, COLUMNS)
    if not rows:
        report.add_problem(0, "file", _("The file holds no rows."))
    plan: list[tuple[int, str, SeasonCalendar | None, CalendarData]] = []
    seen: dict[tuple, int] = {}
    for number, row in rows:
        try:
            data = _check(_row_data(row))
        except sheets.RowError as exc:
            report.add_problem(number, exc.column, exc.message)
            continue
        except ValidationError as exc:
            report.add_validation(number, exc)
            continue
        key = (data.crop.pk, data.region, data.label)
        if key in seen:
            report.add_problem(
                number, "label", _("The same season as row %(n)d.") % {"n": seen[key]}
            )
            continue
        seen[key] = number
        existing = SeasonCalendar.objects.filter(
            crop=data.crop, region=data.region, label=data.label
        ).first()
        if not may_edit(actor, data.provinces) or (
            existing is not None and not may_edit(actor, existing.provinces)
        ):
            report.add_problem(
                number,
                "provinces",
                _not_yours(),
            )
            continue
        if existing is None:
            action = "create"
        elif _same(existing, data):
            action = "unchanged"
        else:
            action = "update"
        report.rows.append(
            {
                "row": number,
                "action": action,
                "crop": data.crop.code,
                "region": data.region,
                "label": data.label,
                "months": f"{data.harvest_start_month}-{data.harvest_end_month}",
                "id": existing.pk if existing else None,
            }
        )
        plan.append((number, action, existing, data))
    if not apply or report.problems:
        return report
    with transaction.atomic():
        ids: dict[int, int] = {}
        for number, action, existing, data in plan:
            if action == "unchanged":
                continue
            cal = existing or SeasonCalendar()
            before = snapshot(existing) if existing else None
            _apply(cal, data)
            cal.save()
            record(actor.user, f"season_calendar.import_{action}", cal, before, snapshot(cal))
            ids[number] = cal.pk
    for entry in report.rows:
        entry["id"] = ids.get(entry["row"], entry["id"])
    report.applied = True
    return report
