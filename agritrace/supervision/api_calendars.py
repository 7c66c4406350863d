"""Harvest season calendars over the API (mounted under /api/supervision/):
GET/POST /season-calendars, PATCH/DELETE /season-calendars/{id},
GET /season-calendars/in-season?crop=&province=&day=&margin_days=,
POST /season-calendars/import (XLSX or CSV; a dry run unless `apply=true`) and its template."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from agritrace.apiutil import actor
from agritrace.registry import sheets
from agritrace.registry.api_authorisations import ImportReportOut
from agritrace.registry.models import Crop

from . import calendar
from .models import SeasonCalendar

router = Router(tags=["season calendars"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CalendarOut(Schema):
    id: int
    crop: str = Field(..., description="The crop's code")
    region: str
    provinces: list[str]
    label: str
    harvest_start_month: int
    harvest_end_month: int
    source: str
    source_date: dt.date | None
    note: str

    @staticmethod
    def resolve_crop(obj) -> str:
        return obj.crop.code


class CalendarIn(Schema):
    crop: str = Field(..., description="The crop's code")
    region: str
    provinces: list[str] = Field(default_factory=list, description="Names or codes; empty: any")
    label: str = "main"
    harvest_start_month: int
    harvest_end_month: int
    source: str = Field(..., description="Where this comes from (or 'unknown')")
    source_date: dt.date | None = None
    note: str = ""


class CalendarPatch(Schema):
    crop: str | None = None
    region: str | None = None
    provinces: list[str] | None = None
    label: str | None = None
    harvest_start_month: int | None = None
    harvest_end_month: int | None = None
    source: str | None = None
    source_date: dt.date | None = None
    note: str | None = None


class CalendarFilters(Schema):
    crop: str = ""
    province: str = Field("", description="A province's name or code")


class InSeasonQuery(Schema):
    crop: str
    province: str
    day: dt.date
    margin_days: int = Field(0, ge=0, le=366)


class InSeasonOut(Schema):
    in_season: bool | None = Field(..., description="null: no calendar covers it")
    calendars: list[CalendarOut]


def _crop(code: str) -> Crop | None:
    return Crop.objects.filter(code=code).first()


@router.get("/season-calendars", response=list[CalendarOut])
def list_calendars(request: HttpRequest, filters: Query[CalendarFilters]):
    actor(request)
    return list(calendar.calendars(filters.crop, filters.province))


@router.post("/season-calendars", response={201: CalendarOut})
def create_calendar(request: HttpRequest, payload: CalendarIn):
    """The authority adds a crop's harvest season in a region, with its source."""
    data = calendar.CalendarData(**{**payload.model_dump(), "crop": _crop(payload.crop)})
    return Status(201, calendar.create_calendar(actor(request), data))


@router.get("/season-calendars/in-season", response=InSeasonOut)
def in_season(request: HttpRequest, query: Query[InSeasonQuery]):
    """Whether a day falls in a crop's harvest in a province (null where no calendar
    covers it)."""
    actor(request)
    return {
        "in_season": calendar.in_season(query.crop, query.province, query.day, query.margin_days),
        "calendars": calendar.covering(query.crop, query.province),
    }


@router.post("/season-calendars/import", response=ImportReportOut)
def import_calendars(request: HttpRequest, file: File[UploadedFile], apply: bool = False):
    """Calendars in bulk (XLSX or CSV, the template's columns): a dry run unless
    `apply=true`; a bad row is named by row and column (422) and nothing changes."""
    if file.size and file.size > sheets.MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 10 MB.")})
    report = calendar.import_calendars(actor(request), file.read(), file.name or "", apply)
    report.raise_if_problems()
    return report.as_dict()


@router.get("/season-calendars/import/template")
def calendars_template(request: HttpRequest):
    actor(request)
    response = HttpResponse(calendar.template(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="season-calendars.xlsx"'
    return response


@router.patch("/season-calendars/{calendar_id}", response=CalendarOut)
def update_calendar(request: HttpRequest, calendar_id: int, payload: CalendarPatch):
    current = actor(request)
    cal = get_object_or_404(SeasonCalendar, pk=calendar_id)
    changes = payload.model_dump(exclude_unset=True)
    if "crop" in changes:
        changes["crop"] = _crop(changes["crop"] or "")
    return calendar.update_calendar(current, cal, changes)


@router.delete("/season-calendars/{calendar_id}", response={204: None})
def delete_calendar(request: HttpRequest, calendar_id: int, reason: str = ""):
    current = actor(request)
    calendar.delete_calendar(current, get_object_or_404(SeasonCalendar, pk=calendar_id), reason)
    return Status(204, None)
