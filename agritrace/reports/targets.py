"""Entering a plan's targets: one at a time (page, API, CLI) or from a workbook (dry run by
default, all or nothing; `registry.sheets`). Every change is audited; bad input is refused
with the field named (a unit outside the province, an unknown crop, a negative value)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agritrace.accounts.access import Actor
from agritrace.audit.services import record, snapshot
from agritrace.places.models import AdminUnit, Level, Tree
from agritrace.places.services import fold
from agritrace.registry import sheets
from agritrace.registry.models import Crop

from . import access
from .groups import group_codes
from .models import Metric, Target, TargetKind
from .units import unit_in_province

#: The years a target may name (plans run a few years back and ahead).
YEAR_RANGE = (2000, 2100)

_DISTRICT_PREFIXES = ("thanh pho ", "thi xa ", "huyen ", "quan ")
_UNIT_PREFIXES = ("thanh pho ", "thi xa ", "thi tran ", "huyen ", "quan ", "xa ", "phuong ")


@dataclass
class TargetData:
    metric: str
    year: int
    value: Decimal | float | int | str
    unit_id: int | None = None
    unit: str = ""
    crop: str = ""  # a crop code or a group code of data/crop_groups.json; "" every crop
    kind: str = TargetKind.TARGET
    cumulative: bool = False
    source: str = ""
    source_date: date | None = None
    note: str = ""


def valid_id(value) -> bool:
    """Whether a number can be a database id (the databases' 64-bit integers)."""
    from agritrace.apiutil import MAX_DB_INT

    return isinstance(value, int) and 0 < value <= MAX_DB_INT


def _bare(name: str) -> str:
    folded = fold(name)
    for prefix in _UNIT_PREFIXES:
        if folded.startswith(prefix):
            return folded[len(prefix) :]
    return folded


def _legacy_district(province: AdminUnit, text: str) -> AdminUnit | None:
    legacy_provinces = AdminUnit.objects.filter(
        tree=Tree.LEGACY, level=Level.PROVINCE, mapped_to__current=province
    ).distinct()
    wanted = _bare(text)
    districts = [
        d
        for d in AdminUnit.objects.filter(parent__in=legacy_provinces, level=Level.DISTRICT)
        if _bare(d.name) == wanted
    ]
    return districts[0] if len(districts) == 1 else None


def find_unit(province: AdminUnit, name: str) -> AdminUnit | None:
    """A unit of the province by name: a current commune or ward, else an earlier district
    of an earlier province that went into it; None when unknown or ambiguous. A name with a
    district's prefix ("Huyện Chợ Mới", "Thành phố Long Xuyên", "Thị xã Tân Châu") is the
    earlier district, even where a current commune has the same bare name."""
    from agritrace.places.services import find_commune

    text = (name or "").strip()
    if not text:
        return None
    if fold(text).startswith(_DISTRICT_PREFIXES):
        return _legacy_district(province, text)
    found = find_commune(province, text)
    if found is not None:
        return found
    return _legacy_district(province, text)


def unit_choices(province: AdminUnit) -> list[AdminUnit]:
    """The units a target may name in a province: its current communes and the districts of
    the earlier provinces that went into it."""
    current = AdminUnit.objects.filter(tree=Tree.CURRENT, level=Level.COMMUNE).filter(
        Q(parent=province) | Q(parent__parent=province)
    )
    districts = AdminUnit.objects.filter(
        level=Level.DISTRICT,
        parent__in=AdminUnit.objects.filter(
            tree=Tree.LEGACY, level=Level.PROVINCE, mapped_to__current=province
        ),
    )
    return [*districts.order_by("name"), *current.order_by("name")]


def _province_of(actor: Actor) -> AdminUnit:
    access.require_edit(actor)
    return actor.organisation.unit.province


def _check(province: AdminUnit, data: TargetData) -> dict:
    errors: dict[str, str] = {}
    if data.metric not in Metric.values:
        errors["metric"] = _("Unknown figure “%(v)s”; one of: %(c)s.") % {
            "v": data.metric,
            "c": ", ".join(Metric.values),
        }
    if data.kind not in TargetKind.values:
        errors["kind"] = _("Unknown kind “%(v)s”; one of: %(c)s.") % {
            "v": data.kind,
            "c": ", ".join(TargetKind.values),
        }
    try:
        year = int(data.year)
    except (TypeError, ValueError):
        year = 0
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        errors["year"] = _("A year from %(a)d to %(b)d.") % {"a": YEAR_RANGE[0], "b": YEAR_RANGE[1]}
    try:
        value = Decimal(str(data.value).replace(",", ".")) if data.value not in (None, "") else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        errors["value"] = _("A number is required.")
    elif value < 0 or value >= Decimal("1e10"):
        errors["value"] = _("The value must be 0 or more (and below 10,000,000,000).")
    else:
        value = value.quantize(Decimal("0.01"))
    unit = None
    if data.unit_id:
        unit = AdminUnit.objects.filter(pk=data.unit_id).first() if valid_id(data.unit_id) else None
        if unit is None or not unit_in_province(province, unit):
            errors["unit_id"] = _("No such unit in %(p)s.") % {"p": province.name}
            unit = None
    elif (data.unit or "").strip():
        unit = find_unit(province, data.unit)
        if unit is None:
            errors["unit"] = _(
                "No commune, ward or earlier district “%(u)s” in %(p)s (or the name is ambiguous)."
            ) % {"u": data.unit, "p": province.name}
    crop, group = None, ""
    code = (data.crop or "").strip()
    if code in group_codes():
        group = code
    elif code:
        crop = Crop.objects.filter(code=code).first()
        if crop is None:
            errors["crop"] = _("Unknown crop “%(c)s”: a crop code or one of the groups %(g)s.") % {
                "c": code,
                "g": ", ".join(group_codes()),
            }
    if data.source_date and data.source_date > timezone.localdate():
        errors["source_date"] = _("The source's date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    return {
        "province": province,
        "unit": unit,
        "crop": crop,
        "crop_group": group,
        "year": year,
        "metric": data.metric,
        "kind": data.kind,
        "cumulative": bool(data.cumulative),
        "value": value,
        "source": (data.source or "").strip() or "unknown",
        "source_date": data.source_date,
        "note": (data.note or "").strip(),
    }


_KEY = ("province", "unit", "crop", "crop_group", "year", "metric", "kind", "cumulative")


def _existing(fields: dict) -> Target | None:
    return (
        Target.objects.select_for_update(of=("self",))
        .filter(**{k: fields[k] for k in _KEY})
        .order_by("pk")
        .first()
    )


def _save(actor: Actor, fields: dict, action_prefix: str = "reports.target") -> tuple[str, Target]:
    target = _existing(fields)
    if target is None:
        target = Target(created_by=actor.user, **fields)
        target.save()
        record(actor.user, f"{action_prefix}.create", target, None, snapshot(target))
        return "create", target
    before = snapshot(target)
    for name, value in fields.items():
        setattr(target, name, value)
    target.save()
    record(actor.user, f"{action_prefix}.update", target, before, snapshot(target))
    return "update", target


@transaction.atomic
def set_target(actor: Actor, data: TargetData) -> Target:
    """Create the target, or change the value of the one with the same unit, crop, year,
    figure and kind."""
    province = _province_of(actor)
    return _save(actor, _check(province, data))[1]


@transaction.atomic
def delete_target(actor: Actor, target_id: int, reason: str = "") -> None:
    province = _province_of(actor)
    target = (
        Target.objects.select_for_update(of=("self",))
        .filter(pk=target_id, province=province)
        .first()
    )
    if target is None:
        from django.http import Http404

        raise Http404(_("No such target in your province."))
    record(actor.user, "reports.target.delete", target, snapshot(target), None, reason)
    target.delete()


def targets(actor: Actor, year: int | None = None) -> QuerySet[Target]:
    qs = access.visible_targets(
        actor, Target.objects.select_related("province", "unit", "unit__parent", "crop")
    )
    if year:
        qs = qs.filter(year=year)
    return qs


# ------------------------------------------------------------------ the workbook import

COLUMNS = [
    sheets.Column(
        "unit",
        False,
        "Huyện Chợ Mới",
        gettext_lazy("A commune or ward, or an earlier district; empty for the whole province"),
    ),
    sheets.Column(
        "crop",
        False,
        "fruit",
        gettext_lazy("A crop code (durian, rice, …) or a group (rice, fruit, vegetables); empty"),
    ),
    sheets.Column("year", True, 2025, gettext_lazy("The plan's year")),
    sheets.Column(
        "metric",
        True,
        "hectares",
        gettext_lazy("hectares, area_codes, packing_houses, residue_samples, training_classes"),
    ),
    sheets.Column("value", True, 3204, gettext_lazy("The figure (0 or more)")),
    sheets.Column("kind", False, "target", gettext_lazy("target (default) or baseline")),
    sheets.Column(
        "cumulative", False, "no", gettext_lazy("yes: what holds a code by the year's end")
    ),
    sheets.Column(
        "source", True, "QĐ 1753/QĐ-UBND, Bảng 2", gettext_lazy("The plan it comes from")
    ),
    sheets.Column("source_date", False, "2023-10-31", gettext_lazy("The plan's date")),
    sheets.Column("note", False, "", gettext_lazy("Anything else")),
]


def template() -> bytes:
    return sheets.template_xlsx(
        _("Targets of the plan"),
        "targets",
        COLUMNS,
        [_("One row per figure. Rows with the same unit, crop, year, figure and kind update it.")],
    )


def _yes(value) -> bool:
    return sheets.text(value).casefold() in {"yes", "y", "true", "1", "có", "x"}


def import_targets(actor: Actor, data: bytes, filename: str, apply: bool = False) -> sheets.Report:
    """Check every row (a dry run: nothing written) and, with `apply` and no problem, write
    them all in one transaction."""
    province = _province_of(actor)
    report = sheets.Report(dry_run=not apply)
    checked: list[tuple[int, dict]] = []
    for number, row in sheets.read_rows(data, filename, COLUMNS):
        try:
            fields = _check(
                province,
                TargetData(
                    unit=sheets.cell_text(row, "unit"),
                    crop=sheets.cell_text(row, "crop"),
                    year=sheets.cell_int(row, "year", required=True, low=2000, high=2100),
                    metric=sheets.cell_text(row, "metric", required=True),
                    value=sheets.cell_text(row, "value", required=True),
                    kind=sheets.cell_text(row, "kind") or TargetKind.TARGET,
                    cumulative=_yes(row.get("cumulative")),
                    source=sheets.cell_text(row, "source", required=True, max_length=300),
                    source_date=sheets.cell_date(row, "source_date"),
                    note=sheets.cell_text(row, "note"),
                ),
            )
        except sheets.RowError as exc:
            report.add_problem(number, exc.column, exc.message)
            continue
        except ValidationError as exc:
            report.add_validation(number, exc, {"unit_id": "unit"})
            continue
        checked.append((number, fields))
        report.rows.append(
            {
                "row": number,
                "unit": fields["unit"].name if fields["unit"] else "",
                "metric": fields["metric"],
                "year": fields["year"],
                "value": str(fields["value"]),
            }
        )
    if apply:
        report.raise_if_problems()
        with transaction.atomic():
            for (_number, fields), row in zip(checked, report.rows, strict=True):
                row["action"] = _save(actor, fields, "reports.target.import")[0]
        report.applied = True
    else:
        for (_number, fields), row in zip(checked, report.rows, strict=True):
            row["action"] = (
                "update"
                if Target.objects.filter(**{k: fields[k] for k in _KEY}).exists()
                else "create"
            )
    return report
