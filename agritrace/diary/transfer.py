"""Spreadsheets in and out of the diary: the input catalogue (the authority's) and a season of
diary entries (a representative's).

Both imports are all or nothing: every row is tried, every problem is reported with its sheet
and row number (the header is row 1), and if there is any problem nothing is kept. The header
row names the columns, in any order; a column the import does not know is an error (a typo in
a header would otherwise silently drop a column).

Catalogue workbook: one sheet per table, named as below; any of them may be left out.

    ingredients    name*, cas_number, banned_in_vietnam (yes/no), banned_from, note,
                   source*, source_date
    pesticides     trade_name*, registration_number, status* (registered, banned, withdrawn,
                   unregistered), form* (liquid, powder, granule), formulation,
                   active_ingredients* ("Azoxystrobin 200 g/L; Difenoconazole 125 g/L"),
                   source*, source_date
    phi            pesticide* (trade name), crop* (code), phi_days*, max_dose, max_dose_unit
                   (MLT, LTR, GRM, KGM), dose_basis (HAR per hectare, LTR per litre of spray
                   water), source*, source_date
    fertilisers    name*, type (inorganic, organic, bio, foliar), form, n, p, k, source*,
                   source_date
    market_rules   market* (code), ingredient*, allowed* (yes/no), note, source*, source_date
    crop_yields    crop* (code), tonnes_per_ha*, source*, source_date

Rows are matched by name (trade name, crop and pesticide, market and ingredient) and updated,
or created; nothing is deleted. Every change leaves an audit entry.

Season workbook (first sheet): date*, kind*, household, plot, area, product, quantity, unit,
spray_volume_l, notes. A row is about a plot (its label, with the household's name when
labels repeat) or, with only `area` (code or name), the whole area. `product` is a trade name
or a fertiliser from the catalogue, or any other name (recorded as written, and flagged for a
spray). `unit` is a UN/CEFACT code (KGM, LTR, ...) or kg, g, t, l, ml, m3, ha.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, require, visible
from agritrace.audit.services import record, snapshot
from agritrace.notifications.services import notify
from agritrace.registry.models import Crop, Market, PlantingArea, Plot

from . import services
from .models import (
    ActiveIngredient,
    CropYield,
    DoseBasis,
    EntryKind,
    Fertiliser,
    FertiliserKind,
    MarketIngredientRule,
    Pesticide,
    PesticideIngredient,
    PesticidePHI,
    ProductForm,
    RegistrationStatus,
    Unit,
)

#: The largest workbook accepted (a catalogue of thousands of products is well below it).
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000


class ImportFailed(ValidationError):
    """Nothing was imported; `problems` says where and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems)
        self.problems = problems


class RowError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


# ------------------------------------------------------------------ reading cells


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _decimal(row: dict, column: str, required: bool = False, minimum: Decimal | None = None):
    raw = row.get(column)
    if raw in (None, ""):
        if required:
            raise RowError(column, _("A value is required."))
        return None
    if isinstance(raw, bool):
        raise RowError(column, _("Expected a number."))
    try:
        text = _text(raw).replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        value = Decimal(text)
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise RowError(column, _("Expected a number, not “%(v)s”.") % {"v": raw}) from None
    if minimum is not None and value < minimum:
        raise RowError(column, _("Must be at least %(m)s.") % {"m": minimum})
    return value


def _date(row: dict, column: str, required: bool = False) -> date | None:
    raw = row.get(column)
    if raw in (None, ""):
        if required:
            raise RowError(column, _("A date is required."))
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = _text(raw)
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise RowError(column, _("Expected a date such as 2026-03-15 or 15/03/2026."))


YES = {"yes", "y", "true", "1", "x", "có", "co"}
NO = {"no", "n", "false", "0", "không", "khong", ""}


def _bool(row: dict, column: str, required: bool = False) -> bool:
    raw = row.get(column)
    if isinstance(raw, bool):
        return raw
    text = _text(raw).casefold()
    if required and text == "":
        raise RowError(column, _("Say yes or no."))
    if text in YES:
        return True
    if text in NO:
        return False
    raise RowError(column, _("Say yes or no, not “%(v)s”.") % {"v": raw})


def _choice(row: dict, column: str, choices, default: str | None = None) -> str:
    text = _text(row.get(column)).casefold()
    if not text and default is not None:
        return default
    for value, label in choices:
        if text in (str(value).casefold(), str(label).casefold()):
            return value
    raise RowError(
        column,
        _("Choose one of: %(c)s.") % {"c": ", ".join(str(v) for v, _label in choices)},
    )


def _source(row: dict) -> str:
    source = _text(row.get("source"))
    if not source:
        raise RowError("source", _("Say where this comes from (or write “unknown”)."))
    return source[:300]


# ------------------------------------------------------------------ reading a workbook


def _open(data: bytes):
    from openpyxl import load_workbook

    if len(data) > MAX_BYTES:
        raise ImportFailed([_("The file is larger than 10 MB.")])
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ImportFailed([_("The file is not an Excel workbook (.xlsx).")]) from None


def _normalise(header: Any) -> str:
    return re.sub(r"[\s-]+", "_", _text(header).casefold())


def _sheet_rows(sheet, columns: list[str], required: list[str], problems: list[str]):
    """(row number, {column: value}) for each non-empty row, after checking the header."""
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    where = _("Sheet “%(s)s”") % {"s": sheet.title}
    if header is None:
        problems.append(where + ": " + _("the sheet is empty."))
        return []
    names = [_normalise(h) for h in header]
    while names and names[-1] == "":
        names.pop()
    unknown = [n for n in names if n and n not in columns]
    if unknown:
        problems.append(
            where
            + ": "
            + _("unknown column(s) %(u)s; the columns are: %(c)s.")
            % {"u": ", ".join(unknown), "c": ", ".join(columns)}
        )
    seen = [n for n in names if n]
    if len(seen) != len(set(seen)):
        problems.append(where + ": " + _("a column appears twice."))
    missing = [c for c in required if c not in names]
    if missing:
        problems.append(where + ": " + _("missing column(s): %(m)s.") % {"m": ", ".join(missing)})
    if unknown or missing or len(seen) != len(set(seen)):
        return []
    out = []
    for number, values in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            problems.append(where + ": " + _("more than %(n)d rows.") % {"n": MAX_ROWS})
            break
        row = {name: values[i] if i < len(values) else None for i, name in enumerate(names)}
        row.pop("", None)
        if all(v in (None, "") for v in row.values()):
            continue
        out.append((number, row))
    return out


def _where(sheet: str, number: int, column: str = "") -> str:
    text = _("Sheet “%(s)s”, row %(n)d") % {"s": sheet, "n": number}
    return f"{text}, {column}" if column else text


def _messages(exc: ValidationError) -> list[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        return [(f, str(m)) for f, errs in exc.error_dict.items() for e in errs for m in e.messages]
    return [("", str(m)) for m in exc.messages]


# ------------------------------------------------------------------ the catalogue

CATALOGUE_SHEETS: dict[str, tuple[list[str], list[str]]] = {
    "ingredients": (
        [
            "name",
            "cas_number",
            "banned_in_vietnam",
            "banned_from",
            "note",
            "source",
            "source_date",
        ],
        ["name", "source"],
    ),
    "pesticides": (
        [
            "trade_name",
            "registration_number",
            "status",
            "form",
            "formulation",
            "active_ingredients",
            "source",
            "source_date",
        ],
        ["trade_name", "status", "form", "active_ingredients", "source"],
    ),
    "phi": (
        [
            "pesticide",
            "crop",
            "phi_days",
            "max_dose",
            "max_dose_unit",
            "dose_basis",
            "source",
            "source_date",
        ],
        ["pesticide", "crop", "phi_days", "source"],
    ),
    "fertilisers": (
        ["name", "type", "form", "n", "p", "k", "source", "source_date"],
        ["name", "source"],
    ),
    "market_rules": (
        ["market", "ingredient", "allowed", "note", "source", "source_date"],
        ["market", "ingredient", "allowed", "source"],
    ),
    "crop_yields": (
        ["crop", "tonnes_per_ha", "source", "source_date"],
        ["crop", "tonnes_per_ha", "source"],
    ),
}


@dataclass
class CatalogueResult:
    created: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    updated: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    unchanged: int = 0

    def summary(self) -> str:
        parts = [
            _("%(sheet)s: %(c)d new, %(u)d changed")
            % {"sheet": s, "c": self.created.get(s, 0), "u": self.updated.get(s, 0)}
            for s in CATALOGUE_SHEETS
            if self.created.get(s) or self.updated.get(s)
        ]
        return "; ".join(parts) or _("nothing changed")


INGREDIENT_RE = re.compile(
    r"^(?P<name>.+?)(?:\s+(?P<conc>\d+(?:[.,]\d+)?)\s*(?P<unit>g/l|g/kg|%|g/L))?$"
)


class _Catalogue:
    def __init__(self, actor: Actor | None) -> None:
        self.user = actor.user if actor else None
        self.result = CatalogueResult()

    def _save(self, sheet: str, obj, before: dict | None, extra_after: dict | None = None):
        obj.full_clean(validate_unique=False, validate_constraints=False)
        obj.save()
        obj.refresh_from_db()  # compare values as stored (decimals at their scale)
        after = snapshot(obj)
        if extra_after:
            after.update(extra_after)
        if before is None:
            self.result.created[sheet] += 1
            record(self.user, f"inputs.{sheet}.create", obj, None, after)
        elif before != after:
            self.result.updated[sheet] += 1
            record(self.user, f"inputs.{sheet}.update", obj, before, after)
        else:
            self.result.unchanged += 1

    def _ingredient(self, name: str, column: str) -> ActiveIngredient:
        found = ActiveIngredient.objects.filter(name__iexact=name.strip()).first()
        if found is None:
            raise RowError(column, _("Unknown active ingredient “%(n)s”.") % {"n": name})
        return found

    def ingredients(self, row: dict) -> None:
        name = _text(row.get("name"))
        if not name:
            raise RowError("name", _("A value is required."))
        obj = ActiveIngredient.objects.filter(name__iexact=name).first() or ActiveIngredient(
            name=name
        )
        before = snapshot(obj) if obj.pk else None
        obj.cas_number = _text(row.get("cas_number"))[:20]
        if obj.cas_number and not re.match(r"^\d{2,7}-\d{2}-\d$", obj.cas_number):
            raise RowError("cas_number", _("A CAS number looks like 10605-21-7."))
        obj.banned_in_vietnam = _bool(row, "banned_in_vietnam")
        obj.banned_from = _date(row, "banned_from")
        if obj.banned_from and not obj.banned_in_vietnam:
            raise RowError("banned_from", _("A ban date goes with banned_in_vietnam = yes."))
        obj.note = _text(row.get("note"))
        obj.source = _source(row)
        obj.source_date = _date(row, "source_date")
        self._save("ingredients", obj, before)

    def pesticides(self, row: dict) -> None:
        name = _text(row.get("trade_name"))
        if not name:
            raise RowError("trade_name", _("A value is required."))
        obj = Pesticide.objects.filter(trade_name__iexact=name).first() or Pesticide(
            trade_name=name
        )
        before = None
        if obj.pk:
            before = snapshot(obj)
            before["active_ingredients"] = [str(c) for c in obj.composition.all()]
        obj.registration_number = _text(row.get("registration_number"))[:60]
        obj.status = _choice(row, "status", RegistrationStatus.choices)
        obj.form = _choice(row, "form", ProductForm.choices)
        obj.formulation = _text(row.get("formulation"))[:10]
        obj.source = _source(row)
        obj.source_date = _date(row, "source_date")
        composition = []
        for part in _text(row.get("active_ingredients")).split(";"):
            part = part.strip()
            if not part:
                continue
            match = INGREDIENT_RE.match(part)
            ingredient = self._ingredient(match.group("name"), "active_ingredients")
            conc = match.group("conc")
            composition.append(
                (
                    ingredient,
                    Decimal(conc.replace(",", ".")) if conc else None,
                    (match.group("unit") or "").replace("g/l", "g/L"),
                )
            )
        if not composition:
            raise RowError("active_ingredients", _("Name at least one active ingredient."))
        if len({c[0].pk for c in composition}) != len(composition):
            raise RowError("active_ingredients", _("An active ingredient is named twice."))
        obj.full_clean(validate_unique=False, validate_constraints=False)
        obj.save()
        PesticideIngredient.objects.filter(pesticide=obj).delete()
        PesticideIngredient.objects.bulk_create(
            PesticideIngredient(pesticide=obj, ingredient=i, concentration=c, concentration_unit=u)
            for i, c, u in composition
        )
        self._save(
            "pesticides",
            obj,
            before,
            {"active_ingredients": [str(c) for c in obj.composition.all()]},
        )

    def phi(self, row: dict) -> None:
        pesticide = Pesticide.objects.filter(trade_name__iexact=_text(row.get("pesticide"))).first()
        if pesticide is None:
            raise RowError("pesticide", _("Unknown pesticide “%(n)s”.") % {"n": row["pesticide"]})
        crop = _crop(row)
        obj = PesticidePHI.objects.filter(pesticide=pesticide, crop=crop).first() or (
            PesticidePHI(pesticide=pesticide, crop=crop)
        )
        before = snapshot(obj) if obj.pk else None
        days = _decimal(row, "phi_days", required=True, minimum=Decimal(0))
        if days != days.to_integral_value() or days > 365:
            raise RowError("phi_days", _("A whole number of days, at most 365."))
        obj.phi_days = int(days)
        obj.max_dose = _decimal(row, "max_dose", minimum=Decimal("0.001"))
        unit = _text(row.get("max_dose_unit")).upper()
        if obj.max_dose is not None and unit not in ("MLT", "LTR", "GRM", "KGM"):
            raise RowError("max_dose_unit", _("Give the dose's unit: MLT, LTR, GRM or KGM."))
        if obj.max_dose is not None:
            dimension = services.UNIT_SCALE[unit][0]
            if dimension != pesticide.measured_by:
                raise RowError(
                    "max_dose_unit", _("This unit does not fit the product's physical form.")
                )
        obj.max_dose_unit = unit if obj.max_dose is not None else ""
        obj.dose_basis = _choice(row, "dose_basis", DoseBasis.choices, DoseBasis.PER_HA)
        obj.source = _source(row)
        obj.source_date = _date(row, "source_date")
        self._save("phi", obj, before)

    def fertilisers(self, row: dict) -> None:
        name = _text(row.get("name"))
        if not name:
            raise RowError("name", _("A value is required."))
        obj = Fertiliser.objects.filter(name__iexact=name).first() or Fertiliser(name=name)
        before = snapshot(obj) if obj.pk else None
        obj.kind = _choice(row, "type", FertiliserKind.choices, FertiliserKind.INORGANIC)
        obj.form = _choice(row, "form", ProductForm.choices, ProductForm.GRANULE)
        for column, attr in (("n", "n_percent"), ("p", "p_percent"), ("k", "k_percent")):
            value = _decimal(row, column, minimum=Decimal(0)) or Decimal(0)
            if value > 100:
                raise RowError(column, _("A percentage is at most 100."))
            setattr(obj, attr, value)
        if obj.n_percent + obj.p_percent + obj.k_percent > 100:
            raise RowError("k", _("N, P and K add up to more than 100%."))
        obj.source = _source(row)
        obj.source_date = _date(row, "source_date")
        self._save("fertilisers", obj, before)

    def market_rules(self, row: dict) -> None:
        market = Market.objects.filter(code__iexact=_text(row.get("market"))).first()
        if market is None:
            raise RowError("market", _("Unknown market “%(m)s”.") % {"m": row.get("market")})
        ingredient = self._ingredient(_text(row.get("ingredient")), "ingredient")
        obj = MarketIngredientRule.objects.filter(market=market, ingredient=ingredient).first()
        obj = obj or MarketIngredientRule(market=market, ingredient=ingredient)
        before = snapshot(obj) if obj.pk else None
        obj.allowed = _bool(row, "allowed", required=True)
        obj.note = _text(row.get("note"))
        obj.source = _source(row)
        obj.source_date = _date(row, "source_date")
        self._save("market_rules", obj, before)

    def crop_yields(self, row: dict) -> None:
        crop = _crop(row)
        obj = CropYield.objects.filter(crop=crop).first() or CropYield(crop=crop)
        before = snapshot(obj) if obj.pk else None
        value = _decimal(row, "tonnes_per_ha", required=True, minimum=Decimal("0.01"))
        if value > 500:
            raise RowError("tonnes_per_ha", _("More than 500 t/ha is not plausible."))
        obj.tonnes_per_ha = value
        obj.source = _source(row)
        obj.source_date = _date(row, "source_date")
        self._save("crop_yields", obj, before)


def _crop(row: dict) -> Crop:
    text = _text(row.get("crop"))
    crop = Crop.objects.filter(
        Q(code__iexact=text) | Q(name_en__iexact=text) | Q(name_vi__iexact=text)
    ).first()
    if crop is None:
        raise RowError("crop", _("Unknown crop “%(c)s”.") % {"c": text})
    return crop


def import_catalogue(actor: Actor | None, data: bytes) -> CatalogueResult:
    """Import the input catalogue from a workbook. `actor` None is the server's operator on
    the command line; anyone else must be allowed to manage the catalogue."""
    if actor is not None:
        require(actor, "manage_catalogue")
    book = _open(data)
    problems: list[str] = []
    known = {s.casefold(): s for s in CATALOGUE_SHEETS}
    sheets = {}
    for sheet in book.worksheets:
        name = sheet.title.strip().casefold()
        if name not in known:
            problems.append(
                _("Sheet “%(s)s” is not one of: %(k)s.")
                % {"s": sheet.title, "k": ", ".join(CATALOGUE_SHEETS)}
            )
        else:
            sheets[known[name]] = sheet
    if not sheets and not problems:
        problems.append(_("The workbook has no sheet to import."))
    importer = _Catalogue(actor)
    with transaction.atomic():
        for name, (columns, required) in CATALOGUE_SHEETS.items():
            if name not in sheets:
                continue
            for number, row in _sheet_rows(sheets[name], columns, required, problems):
                try:
                    with transaction.atomic():
                        getattr(importer, name)(row)
                except RowError as exc:
                    problems.append(f"{_where(sheets[name].title, number, exc.column)}: {exc}")
                except ValidationError as exc:
                    for column, message in _messages(exc):
                        problems.append(f"{_where(sheets[name].title, number, column)}: {message}")
        if problems:
            raise ImportFailed(problems)
    return importer.result


def export_catalogue() -> bytes:
    """The whole catalogue as a workbook that import_catalogue reads back."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)

    def iso(d):
        return d.isoformat() if d else None

    def fmt(d: Decimal | None):
        return None if d is None else float(d)

    rows: dict[str, list[list]] = {
        "ingredients": [
            [
                i.name,
                i.cas_number,
                "yes" if i.banned_in_vietnam else "no",
                iso(i.banned_from),
                i.note,
                i.source,
                iso(i.source_date),
            ]
            for i in ActiveIngredient.objects.all()
        ],
        "pesticides": [
            [
                p.trade_name,
                p.registration_number,
                p.status,
                p.form,
                p.formulation,
                "; ".join(str(c) for c in p.composition.select_related("ingredient")),
                p.source,
                iso(p.source_date),
            ]
            for p in Pesticide.objects.all()
        ],
        "phi": [
            [
                r.pesticide.trade_name,
                r.crop.code,
                r.phi_days,
                fmt(r.max_dose),
                r.max_dose_unit,
                r.dose_basis,
                r.source,
                iso(r.source_date),
            ]
            for r in PesticidePHI.objects.select_related("pesticide", "crop")
        ],
        "fertilisers": [
            [
                f.name,
                f.kind,
                f.form,
                fmt(f.n_percent),
                fmt(f.p_percent),
                fmt(f.k_percent),
                f.source,
                iso(f.source_date),
            ]
            for f in Fertiliser.objects.all()
        ],
        "market_rules": [
            [
                r.market.code,
                r.ingredient.name,
                "yes" if r.allowed else "no",
                r.note,
                r.source,
                iso(r.source_date),
            ]
            for r in MarketIngredientRule.objects.select_related("market", "ingredient")
        ],
        "crop_yields": [
            [y.crop.code, fmt(y.tonnes_per_ha), y.source, iso(y.source_date)]
            for y in CropYield.objects.select_related("crop")
        ],
    }
    for name, (columns, _required) in CATALOGUE_SHEETS.items():
        sheet = book.create_sheet(name)
        sheet.append(columns)
        for row in rows[name]:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ------------------------------------------------------------------ a season of diary entries

SEASON_COLUMNS = [
    "date",
    "kind",
    "household",
    "plot",
    "area",
    "product",
    "quantity",
    "unit",
    "spray_volume_l",
    "notes",
]
UNIT_WORDS = {
    "kg": Unit.KGM,
    "g": Unit.GRM,
    "t": Unit.TNE,
    "tấn": Unit.TNE,
    "l": Unit.LTR,
    "lít": Unit.LTR,
    "ml": Unit.MLT,
    "m3": Unit.MTQ,
    "m³": Unit.MTQ,
    "ha": Unit.HAR,
}


@dataclass
class SeasonResult:
    entries: int = 0
    flags: int = 0
    flagged_entries: list[int] = field(default_factory=list)


class _Season:
    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.plots = visible(actor, Plot.objects.select_related("household", "area"))
        self.areas = visible(actor, PlantingArea.objects.all())

    def _area(self, text: str) -> PlantingArea:
        found = list(self.areas.filter(Q(code__iexact=text) | Q(name__iexact=text))[:2])
        if len(found) != 1:
            raise RowError(
                "area",
                _("No planting area of yours called “%(a)s”.") % {"a": text}
                if not found
                else _("Several areas are called “%(a)s”: give the code.") % {"a": text},
            )
        return found[0]

    def data(self, row: dict) -> dict:
        data: dict[str, Any] = {"date": _date(row, "date", required=True)}
        kind_text = _text(row.get("kind")).casefold()
        kind = next(
            (v for v, label in EntryKind.choices if kind_text in (v, str(label).casefold())),
            None,
        )
        if kind is None:
            raise RowError("kind", _("Choose one of: %(k)s.") % {"k": ", ".join(EntryKind.values)})
        data["kind"] = kind
        plot_label = _text(row.get("plot"))
        household = _text(row.get("household"))
        area_text = _text(row.get("area"))
        if plot_label:
            plots = self.plots.filter(label__iexact=plot_label)
            if household:
                plots = plots.filter(household__name__iexact=household)
            if area_text:
                area = self._area(area_text)
                plots = plots.filter(area=area)
            found = list(plots[:2])
            if len(found) != 1:
                raise RowError(
                    "plot",
                    _("No plot “%(p)s” among yours (check the household's name).")
                    % {"p": plot_label}
                    if not found
                    else _("Several plots are labelled “%(p)s”: give the household.")
                    % {"p": plot_label},
                )
            data["plot"] = found[0].pk
        elif area_text:
            data["area"] = self._area(area_text).pk
        else:
            raise RowError("plot", _("Give the plot (or the area, for the whole area)."))
        product = _text(row.get("product"))
        if product:
            pesticide = Pesticide.objects.filter(trade_name__iexact=product).first()
            fertiliser = Fertiliser.objects.filter(name__iexact=product).first()
            if kind in services.SPRAY_KINDS and pesticide:
                data["pesticide"] = pesticide.pk
            elif kind in services.FERTILISER_KINDS and fertiliser:
                data["fertiliser"] = fertiliser.pk
            elif pesticide or fertiliser:
                data["pesticide" if pesticide else "fertiliser"] = (pesticide or fertiliser).pk
            else:
                data["other_product"] = product
        quantity = _text(row.get("quantity"))
        data["quantity"] = quantity or None
        unit = _text(row.get("unit"))
        data["unit"] = UNIT_WORDS.get(unit.casefold(), unit.upper())
        data["spray_volume_l"] = _text(row.get("spray_volume_l")) or None
        data["notes"] = _text(row.get("notes"))
        return data


def import_season(actor: Actor, data: bytes) -> SeasonResult:
    """Import a season of diary entries as `actor` (a representative). Rules run on every
    entry; the flags raised are sent once per area when the whole import has succeeded."""
    require(actor, "keep_diary")
    book = _open(data)
    sheet = book.worksheets[0]
    problems: list[str] = []
    result = SeasonResult()
    importer = _Season(actor)
    flagged = []
    with transaction.atomic():
        for number, row in _sheet_rows(sheet, SEASON_COLUMNS, ["date", "kind"], problems):
            try:
                with transaction.atomic():
                    entry, flags = services._save_entry(actor, importer.data(row), notify_now=False)
            except RowError as exc:
                problems.append(f"{_where(sheet.title, number, exc.column)}: {exc}")
            except ValidationError as exc:
                for column, message in _messages(exc):
                    problems.append(f"{_where(sheet.title, number, column)}: {message}")
            except PermissionDenied:
                raise
            else:
                result.entries += 1
                if flags:
                    result.flags += len(flags)
                    result.flagged_entries.append(entry.pk)
                    flagged.append((entry, flags))
        if not problems and not result.entries:
            problems.append(_("The sheet has no diary entries."))
        if problems:
            raise ImportFailed(problems)
        _notify_imported(flagged)
    return result


def _notify_imported(flagged: list) -> None:
    by_area: dict[Any, list] = defaultdict(list)
    for entry, flags in flagged:
        by_area[entry.area_id or ("plot", entry.plot_id)].append((entry, flags))
    for items in by_area.values():
        entry = items[0][0]
        lines = [
            f"- {e.date.isoformat()} {e.ground_label}: {f.message}" for e, fs in items for f in fs
        ]
        url = (
            reverse("diary-area", args=[entry.area_id])
            if entry.area_id
            else reverse("diary-plot", args=[entry.plot_id])
        )
        notify(
            services._flag_recipients(entry),
            _("Diary warnings in an imported season (%(n)d)") % {"n": len(lines)},
            "\n".join(lines),
            url,
        )
