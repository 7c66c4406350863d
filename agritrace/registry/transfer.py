"""Moving planting areas in and out: their plots as GeoJSON (a FeatureCollection, one feature
per plot, the form QGIS and web map editors read and write), CSV or XLSX; and importing such a
GeoJSON file back.

An import is all or nothing: every feature is tried, every problem is reported with the
feature's number and the line it starts on, and if there is any problem nothing is kept.
Everything goes through the registry services acting as the importing person, so the usual
checks, access rules, audit entries and notifications apply.

Feature properties (what the export writes and the import reads):

    area_code        the area's code, if it has one: the plot goes to that area
    area             the area's name: found among yours, or created with the next properties
    representative   the representative's name (only when an authority imports)
    crop             crop code or name (durian, Sầu riêng); variety: a variety of it
    province, commune, village, declared_area_ha, markets (codes: ["CN", "VN"]);
                     commune_code: the commune's official code (instead of the names);
                     expected_yield_t, harvests_per_year: of a new area
    household        name of the head of household; national_id: their 12-digit ID number
    label            the plot's label; planting_year
    plot_area_ha     measured on export, ignored on import
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, can, require, visible
from agritrace.accounts.models import Organisation, OrgKind
from agritrace.places.models import AdminUnit
from agritrace.places.services import find_commune, find_province, resolve_place

from . import geometry as geo
from . import services
from .codes import parse_code
from .models import Crop, Household, Market, PlantingArea, Plot, Variety

FORMATS = ("geojson", "csv", "xlsx")

COLUMNS = [
    "area_code",
    "area",
    "representative",
    "crop",
    "variety",
    "province",
    "commune",
    "commune_code",
    "village",
    "declared_area_ha",
    "expected_yield_t",
    "harvests_per_year",
    "markets",
    "household",
    "national_id",
    "label",
    "planting_year",
    "plot_area_ha",
]

#: The longest text an XLSX cell holds.
XLSX_CELL_LIMIT = 32_767


# ------------------------------------------------------------------ export


def _plots(actor: Actor | None):
    """Plots to export. `actor` None is the server's operator on the command line, who
    sees everything; anyone else sees what access.visible() lets them."""
    plots = Plot.objects.select_related(
        "household__commune__parent",
        "area__crop",
        "area__variety",
        "area__commune__parent",
        "area__representative",
    ).prefetch_related("area__markets")
    if actor is not None:
        plots = visible(actor, plots)
    return plots.order_by("area__name", "area_id", "household__name", "household_id", "label")


def plot_row(plot: Plot, personal: bool = True) -> dict[str, Any]:
    area = plot.area
    commune = area.commune if area else plot.household.commune
    return {
        "area_code": area.code if area else None,
        "area": area.name if area else None,
        "representative": area.representative.name if area else None,
        "crop": area.crop.code if area else plot.crop.code,
        "variety": area.variety.name if area and area.variety else None,
        "province": commune.parent.name if commune.parent_id else None,
        "commune": commune.name,
        "commune_code": commune.code,
        "village": area.village if area else None,
        "declared_area_ha": float(area.declared_area_ha) if area else None,
        "expected_yield_t": float(area.expected_yield_t) if area else None,
        "harvests_per_year": area.harvests_per_year if area else None,
        "markets": sorted(m.code for m in area.markets.all()) if area else [],
        "household": plot.household.name,
        "national_id": plot.household.national_id if personal else None,
        "label": plot.label,
        "planting_year": plot.planting_year,
        "plot_area_ha": round(plot.area_m2 / 10_000, 4),
    }


def export_geojson(actor: Actor | None) -> dict:
    personal = actor is None or can(actor, "see_personal_data")
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": p.geometry, "properties": plot_row(p, personal)}
            for p in _plots(actor)
        ],
    }


def _flat_rows(actor: Actor | None) -> list[list[Any]]:
    personal = actor is None or can(actor, "see_personal_data")
    rows = []
    for plot in _plots(actor):
        row = plot_row(plot, personal)
        row["markets"] = ";".join(row["markets"])
        rows.append([row[c] for c in COLUMNS] + [json.dumps(plot.geometry)])
    return rows


def export_csv(actor: Actor | None) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*COLUMNS, "geometry"])
    for row in _flat_rows(actor):
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def export_xlsx(actor: Actor | None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "plots"
    sheet.append([*COLUMNS, "geometry"])
    for row in _flat_rows(actor):
        if len(row[-1]) > XLSX_CELL_LIMIT:
            row[-1] = _("(boundary too long for a spreadsheet cell: export GeoJSON)")
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export(actor: Actor | None, fmt: str) -> bytes:
    """The plots in one of FORMATS, as bytes ready to write (CSV with a BOM so that
    spreadsheet programs read the Vietnamese text as UTF-8)."""
    if fmt == "geojson":
        return json.dumps(export_geojson(actor), ensure_ascii=False, indent=1).encode()
    if fmt == "csv":
        return export_csv(actor).encode("utf-8-sig")
    if fmt == "xlsx":
        return export_xlsx(actor)
    raise ValidationError({"format": _("Choose one of: %(f)s.") % {"f": ", ".join(FORMATS)}})


# ------------------------------------------------------------------ import


@dataclass
class ImportResult:
    areas_created: int = 0
    households_created: int = 0
    plots_created: int = 0
    plots_updated: int = 0
    plots_unchanged: int = 0
    areas_changed: list[str] = field(default_factory=list)


class ImportFailed(ValidationError):
    """Nothing was imported; `problems` names each feature that is wrong and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems)
        self.problems = problems


def feature_lines(text: str) -> list[int] | None:
    """The line each feature of a FeatureCollection starts on, or None when the text is not
    laid out as expected. A small scanner over the top-level object: json.loads keeps no
    positions."""
    decoder = json.JSONDecoder()
    space = re.compile(r"\s*")
    line, counted = 1, 0

    def line_at(pos: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, pos)
        counted = pos
        return line

    def skip(pos: int) -> int:
        return space.match(text, pos).end()

    try:
        pos = skip(0)
        if text[pos] != "{":
            return None
        pos += 1
        while True:
            pos = skip(pos)
            if text[pos] == "}":
                return None
            key, pos = decoder.raw_decode(text, pos)
            pos = skip(pos)
            if text[pos] != ":":
                return None
            pos = skip(pos + 1)
            if key == "features" and text[pos] == "[":
                lines = []
                pos += 1
                while True:
                    pos = skip(pos)
                    if text[pos] == "]":
                        return lines
                    lines.append(line_at(pos))
                    _value, pos = decoder.raw_decode(text, pos)
                    pos = skip(pos)
                    if text[pos] == ",":
                        pos += 1
            _value, pos = decoder.raw_decode(text, pos)
            pos = skip(pos)
            if text[pos] == ",":
                pos += 1
    except (ValueError, IndexError):
        return None


def _messages(exc: ValidationError) -> list[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        return [(f, str(m)) for f, errs in exc.error_dict.items() for e in errs for m in e.messages]
    return [("", str(m)) for m in exc.messages]


def _text(props: dict, key: str) -> str:
    value = props.get(key)
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise ValidationError({key: _("Expected text, not %(t)s.") % {"t": type(value).__name__}})
    return str(value).strip()


def import_plots(actor: Actor, data: str | bytes) -> ImportResult:
    """Import a GeoJSON FeatureCollection of plots as `actor`. Raises ImportFailed (nothing
    kept) or PermissionDenied (the actor may not edit the registry)."""
    require(actor, "edit_registry")
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    except UnicodeDecodeError:
        raise ImportFailed([_("The file is not valid UTF-8 text.")]) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailed(
            [
                _("The file is not valid JSON: line %(line)d, column %(col)d: %(msg)s.")
                % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}
            ]
        ) from None
    except (ValueError, RecursionError):
        raise ImportFailed([_("The file is not valid JSON.")]) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ImportFailed([_("The file must be a GeoJSON FeatureCollection of plots.")])
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise ImportFailed([_("The FeatureCollection has no features.")])
    lines = feature_lines(text)
    if lines is not None and len(lines) != len(features):
        lines = None

    def where(n: int) -> str:
        if lines:
            return _("Feature %(n)d (line %(line)d)") % {"n": n, "line": lines[n - 1]}
        return _("Feature %(n)d") % {"n": n}

    return import_features(actor, features, where)


def import_features(actor: Actor, features: list, where) -> ImportResult:
    """Import GeoJSON features (already read) as `actor`, all or nothing; `where(n)` names
    the n-th feature in the problems (a feature and its line, a row of a workbook)."""
    require(actor, "edit_registry")
    problems: list[str] = []
    with transaction.atomic():
        importer = _Importer(actor)
        for n, feature in enumerate(features, start=1):
            here = where(n)
            try:
                with transaction.atomic():
                    importer.feature(feature)
            except ValidationError as exc:
                for name, message in _messages(exc):
                    problems.append(f"{here}, {name}: {message}" if name else f"{here}: {message}")
            except Http404:
                problems.append(f"{here}: " + _("a record it names is not yours or not found."))
        if not problems:
            try:
                with transaction.atomic():
                    importer.finish()
            except ValidationError as exc:
                problems += [message for _name, message in _messages(exc)]
        if problems:
            raise ImportFailed(problems)  # leaving the atomic block undoes every feature
    return importer.result


class _Importer:
    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.result = ImportResult()
        self.areas: dict[tuple, PlantingArea] = {}
        self.households: dict[tuple, Household] = {}
        self.members: dict[int, set[int]] = {}

    # -------------------------------------------------------------- one feature

    def feature(self, feature: Any) -> None:
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise ValidationError({"type": _("Each element of “features” must be a Feature.")})
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise ValidationError({"properties": _("“properties” must be an object.")})
        area = self._area(props)
        household = self._household(props, area)
        self._plot(props, feature.get("geometry"), household, area)
        if area is not None:
            self.members.setdefault(area.pk, set()).add(household.pk)

    def _representative(self, props: dict) -> Organisation:
        if self.actor.kind == OrgKind.REPRESENTATIVE:
            return self.actor.organisation
        name = _text(props, "representative")
        if not name:
            raise ValidationError(
                {"representative": _("Name the area representative (its exact name).")}
            )
        org = visible(self.actor, Organisation.objects.filter(kind=OrgKind.REPRESENTATIVE))
        found = list(org.filter(name=name)[:2])
        if len(found) != 1:
            raise ValidationError(
                {"representative": _("No area representative called “%(n)s”.") % {"n": name}}
            )
        return found[0]

    def _area(self, props: dict) -> PlantingArea | None:
        code = _text(props, "area_code")
        if code:
            try:
                code = parse_code(code)
            except ValidationError as exc:
                raise ValidationError({"area_code": exc.message_dict["code"]}) from None
            if ("code", code) not in self.areas:
                area = visible(self.actor, PlantingArea.objects.all()).filter(code=code).first()
                if area is None:
                    raise ValidationError(
                        {"area_code": _("No planting area of yours has code %(c)s.") % {"c": code}}
                    )
                self.areas[("code", code)] = area
            return self.areas[("code", code)]
        name = _text(props, "area")
        if not name:
            return None
        representative = self._representative(props)
        key = ("name", representative.pk, name.casefold())
        if key not in self.areas:
            found = list(
                visible(self.actor, PlantingArea.objects.all()).filter(
                    representative=representative, name__iexact=name
                )[:2]
            )
            if len(found) > 1:
                raise ValidationError(
                    {"area": _("Several areas are called “%(n)s”: give area_code.") % {"n": name}}
                )
            self.areas[key] = found[0] if found else self._create_area(props, representative)
        return self.areas[key]

    def _commune(self, props: dict) -> AdminUnit:
        code = _text(props, "commune_code")
        if code:
            try:
                return resolve_place(commune_code=code, commune_name=_text(props, "commune"))
            except ValidationError as exc:
                raise ValidationError(
                    {k.replace("commune_name", "commune"): v for k, v in exc.message_dict.items()}
                ) from None
        province_name = _text(props, "province")
        if province_name:
            province = find_province(province_name)
        elif self.actor.province_id:
            province = AdminUnit.objects.get(pk=self.actor.province_id)
        else:
            province = self.actor.organisation.unit.province
        if province is None:
            raise ValidationError(
                {"province": _("Unknown province “%(n)s”.") % {"n": province_name}}
            )
        commune_name = _text(props, "commune")
        commune = find_commune(province, commune_name) if commune_name else None
        if commune is None:
            raise ValidationError(
                {
                    "commune": _("No single commune or ward “%(n)s” in %(p)s.")
                    % {"n": commune_name, "p": province.name}
                }
            )
        return commune

    def _create_area(self, props: dict, representative: Organisation) -> PlantingArea:
        crop_text = _text(props, "crop")
        crop = Crop.objects.filter(code=crop_text).first() or next(
            (
                c
                for c in Crop.objects.all()
                if crop_text.casefold() in (c.name_vi.casefold(), c.name_en.casefold())
            ),
            None,
        )
        if crop is None:
            raise ValidationError({"crop": _("Unknown crop “%(c)s”.") % {"c": crop_text}})
        variety_name = _text(props, "variety")
        variety = None
        if variety_name:
            variety = Variety.objects.filter(crop=crop, name__iexact=variety_name).first()
            if variety is None:
                raise ValidationError(
                    {
                        "variety": _("“%(v)s” is not a variety of %(c)s.")
                        % {"v": variety_name, "c": crop}
                    }
                )
        markets = props.get("markets") or []
        if isinstance(markets, str):
            markets = [m for m in re.split(r"[,;\s]+", markets) if m]
        if not isinstance(markets, list) or not all(isinstance(m, str) for m in markets):
            raise ValidationError({"markets": _('List the market codes, such as ["CN"].')})
        known = {m.code: m.pk for m in Market.objects.filter(code__in=markets)}
        unknown = sorted(set(markets) - set(known))
        if unknown:
            raise ValidationError(
                {"markets": _("Unknown market(s): %(m)s.") % {"m": ", ".join(unknown)}}
            )
        area, _app = services.create_area(
            self.actor,
            {
                "name": _text(props, "area"),
                "representative": representative.pk,
                "crop": crop.pk,
                "variety": variety.pk if variety else None,
                "commune": self._commune(props).pk,
                "village": _text(props, "village"),
                "declared_area_ha": props.get("declared_area_ha"),
                **{
                    key: props[key]
                    for key in ("expected_yield_t", "harvests_per_year")
                    if props.get(key) not in (None, "")
                },
                "markets": list(known.values()),
            },
        )
        self.result.areas_created += 1
        return area

    def _household(self, props: dict, area: PlantingArea | None) -> Household:
        name = _text(props, "household")
        national_id = _text(props, "national_id")
        if not name:
            raise ValidationError({"household": _("Give the name of the head of household.")})
        representative = area.representative if area else self._representative(props)
        key = ("id", national_id) if national_id else ("name", representative.pk, name.casefold())
        if key in self.households:
            return self.households[key]
        households = visible(self.actor, Household.objects.all())
        if national_id:
            found = households.filter(national_id=national_id).first()
            if found is not None and found.name.casefold() != name.casefold():
                raise ValidationError(
                    {
                        "national_id": _(
                            "This ID number belongs to household “%(h)s”, not “%(n)s”."
                        )
                        % {"h": found.name, "n": name}
                    }
                )
        else:
            matches = list(households.filter(representative=representative, name__iexact=name)[:2])
            if len(matches) > 1:
                message = _("Several households are called “%(n)s”: give national_id.")
                raise ValidationError({"household": message % {"n": name}})
            found = matches[0] if matches else None
        if found is None:
            commune = area.commune if area else self._commune(props)
            found = services.create_household(
                self.actor,
                {
                    "name": name,
                    "national_id": national_id,
                    "commune": commune.pk,
                    "representative": representative.pk,
                    "reason": _("Imported"),
                },
            )
            self.result.households_created += 1
        self.households[key] = found
        return found

    def _plot(
        self, props: dict, geometry: Any, household: Household, area: PlantingArea | None
    ) -> None:
        label = _text(props, "label")
        year = props.get("planting_year")
        data = {
            "household": household.pk,
            "area": area.pk if area else None,
            "label": label,
            "geometry": geometry,
            "planting_year": year,
            "reason": _("Imported"),
        }
        existing = (
            visible(self.actor, Plot.objects.all())
            .filter(household=household, area=area, label=label)
            .first()
            if label
            else None
        )
        if existing is None:
            services.save_plot(self.actor, data)
            self.result.plots_created += 1
            return
        try:
            same_shape = geo.to_geojson(geo.parse_geojson(geometry)) == existing.geometry
        except geo.GeometryError:
            same_shape = False
        same_year = str(year or "") == str(existing.planting_year or "")
        if same_shape and same_year:
            self.result.plots_unchanged += 1
            return
        services.save_plot(self.actor, data, plot=existing)
        self.result.plots_updated += 1

    # -------------------------------------------------------------- after the last feature

    def finish(self) -> None:
        """Make the households of the imported plots members of their areas."""
        for area_pk, wanted in self.members.items():
            area = PlantingArea.objects.get(pk=area_pk)
            current = set(area.households.values_list("pk", flat=True))
            if not wanted <= current:
                try:
                    services.set_area_households(self.actor, area, sorted(current | wanted))
                except ValidationError as exc:
                    where = _("Area “%(a)s”") % {"a": area.name}
                    raise ValidationError(
                        [f"{where}, {name}: {message}" for name, message in _messages(exc)]
                    ) from None
                self.result.areas_changed.append(area.code or area.name)
