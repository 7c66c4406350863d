"""Importing planting areas' plots over HTTP: the GeoJSON FeatureCollection that `agritrace
areas import` reads, and the XLSX workbook that the export writes (one row a plot, the
boundary as GeoJSON in the `geometry` column), so that export then import changes nothing.

A dry run by default: the import runs in a transaction that is rolled back, so the report
says exactly what applying would do (areas, households and plots created, plots changed or
unchanged) and nothing is written, audited or sent. Applied, it is all or nothing. The
properties are those of registry.transfer (area_code or area + representative, crop, commune
or commune_code, expected_yield_t, harvests_per_year, household, national_id, label, …)."""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor, require

from .transfer import COLUMNS, ImportFailed, ImportResult, import_features, import_plots

MAX_BYTES = 20 * 1024 * 1024


def _report(result: ImportResult, applied: bool) -> dict[str, Any]:
    return {"applied": applied, **asdict(result)}


def _run(actor: Actor, apply: bool, work) -> dict[str, Any]:
    require(actor, "edit_registry")
    with transaction.atomic():
        result = work()
        if not apply:
            transaction.set_rollback(True)  # a dry run: nothing kept, nothing sent
    return _report(result, apply)


def import_geojson(actor: Actor, data: bytes, apply: bool = False) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of plots. Raises ImportFailed with every problem."""
    if len(data) > MAX_BYTES:
        raise ImportFailed([_("The file is larger than 20 MB.")])
    return _run(actor, apply, lambda: import_plots(actor, data))


def read_xlsx(data: bytes) -> list[tuple[int, dict]]:
    """(row number, GeoJSON feature) for each filled row of the workbook's first sheet."""
    from openpyxl import load_workbook

    if len(data) > MAX_BYTES:
        raise ImportFailed([_("The file is larger than 20 MB.")])
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise ImportFailed([_("This is not an XLSX workbook.")]) from None
    rows = book.worksheets[0].iter_rows(values_only=True)
    header = [str(h or "").strip() for h in next(rows, [])]
    if "geometry" not in header or "label" not in header:
        raise ImportFailed(
            [_("The first row must name the columns as the export writes them (geometry, label…).")]
        )
    features, problems = [], []
    for number, values in enumerate(rows, start=2):
        cells = dict(zip(header, values, strict=False))
        if not any(v not in (None, "") for v in cells.values()):
            continue
        try:
            geometry = json.loads(cells.get("geometry") or "")
        except (TypeError, ValueError):
            problems.append(_("Row %(n)d, geometry: not a GeoJSON boundary.") % {"n": number})
            continue
        properties = {c: cells[c] for c in COLUMNS if cells.get(c) not in (None, "")}
        features.append(
            (number, {"type": "Feature", "geometry": geometry, "properties": properties})
        )
    if problems:
        raise ImportFailed(problems)
    if not features:
        raise ImportFailed([_("The workbook has no rows.")])
    return features


def import_xlsx(actor: Actor, data: bytes, apply: bool = False) -> dict[str, Any]:
    """The plots of an XLSX workbook as the export writes it; problems by row and column."""
    require(actor, "edit_registry")
    rows = read_xlsx(data)
    numbers = [n for n, _f in rows]

    def where(n: int) -> str:
        return _("Row %(n)d") % {"n": numbers[n - 1]}

    return _run(actor, apply, lambda: import_features(actor, [f for _n, f in rows], where))


def problems_body(exc: ImportFailed) -> dict[str, Any]:
    """The 422 body: the first problem as detail, all of them under errors.file."""
    problems = [str(p) for p in exc.problems] or [_("Nothing was imported.")]
    return {"detail": problems[0], "errors": {"file": problems}, "problems": problems}
