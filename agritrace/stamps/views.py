"""Stamp pages. Public (no login): the page a scanned stamp opens, the place-sharing post, and
the lookup of a serial or a code. For packing houses and exporters: their batches, requesting
stamps, voiding them, the CSV of serials (and label sheets when the label renderer is there).
Thin: the work is in services; who may do what is decided in accounts.access."""

from __future__ import annotations

import functools
import math
import time
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import ngettext
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.http import require_http_methods, require_POST

from agritrace.accounts.access import Actor, can

from . import issuers, lotcache, services, strings
from .services import Status

LANG_COOKIE = "agritrace_lookup_lang"
#: HTTP status of the public page per lookup status (the page is the same clear page).
HTTP_STATUS = {Status.MALFORMED: 400, Status.FORGED: 422, Status.UNKNOWN: 404}
RATE_LIMIT_PER_MINUTE = 120


# ------------------------------------------------------------------ public helpers


def client_of(request: HttpRequest) -> str:
    """The salted hash of the client (REMOTE_ADDR and User-Agent); the address is not kept."""
    return services.client_hash(
        request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_USER_AGENT", "")
    )


def choose_language(request: HttpRequest) -> str:
    """?lang= first, then the language chosen earlier (cookie), then the browser's
    Accept-Language; Vietnamese when none of ours is asked for."""
    asked = request.GET.get("lang", "")
    if asked in strings.LANGUAGE_CODES:
        return asked
    kept = request.COOKIES.get(LANG_COOKIE, "")
    if kept in strings.LANGUAGE_CODES:
        return kept
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")[:500]
    for code, _q in parse_accept_lang_header(header):
        base = code.lower().split("-")[0]
        if base in strings.LANGUAGE_CODES:
            return base
    return "vi"


def _clock() -> float:
    return time.time()


def retry_after(client: str) -> int:
    """0 when the client may go on; else the seconds until it may (its window's end). A fixed
    window of a minute per client hash in Django's cache: AGRITRACE_STAMP_RATE_LIMIT requests
    per minute (default 120), so a steady client is refused above limit/60 per second (2/s;
    tests/test_rate_limit.py measures it); a person scanning a stamp every few seconds never is.
    """
    limit = int(getattr(settings, "AGRITRACE_STAMP_RATE_LIMIT", RATE_LIMIT_PER_MINUTE))
    now = _clock()
    window = int(now // 60)
    key = f"stamps:rate:{client}:{window}"
    if cache.add(key, 1, 90):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, 90)
            count = 1
    if count <= limit:
        return 0
    return max(1, math.ceil((window + 1) * 60 - now))


def too_many_json(wait: int) -> JsonResponse:
    """The API's 429: a JSON body saying how long to wait, and Retry-After."""
    response = JsonResponse(
        {
            "detail": "Too many requests: wait a minute.",
            "errors": {},
            "retry_after": wait,
        },
        status=429,
    )
    response["Retry-After"] = str(wait)
    response["Cache-Control"] = "no-store"
    return response


def rate_limited(json: bool = False):
    """429 (a JSON body or a small page) when the client asks too often."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            client = client_of(request)
            request.stamp_client = client
            wait = retry_after(client)
            if wait:
                if json:
                    return too_many_json(wait)
                lang = choose_language(request)
                response = render(
                    request,
                    "stamps/public/too_many.html",
                    _public_context(request, lang),
                    status=429,
                )
                response["Retry-After"] = str(wait)
                response["Cache-Control"] = "no-store"
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _public_context(request: HttpRequest, lang: str, t: dict | None = None, **extra) -> dict:
    path = request.path
    return {
        "lang": lang,
        "t": t if t is not None else strings.texts(lang),
        "languages": [
            {"code": code, "name": name, "url": f"{path}?{_with_lang(request, code)}"}
            for code, name in strings.LANGUAGES
        ],
        "tile_url": settings.AGRITRACE_TILE_URL,
        "tile_attribution": settings.AGRITRACE_TILE_ATTRIBUTION,
        **extra,
    }


def _with_lang(request: HttpRequest, code: str) -> str:
    query = request.GET.copy()
    query["lang"] = code
    return query.urlencode()


def _finish(request: HttpRequest, response: HttpResponse, lang: str) -> HttpResponse:
    if request.GET.get("lang") in strings.LANGUAGE_CODES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax")
    response["Content-Language"] = {"zh": "zh-Hans"}.get(lang, lang)
    response["Vary"] = "Accept-Language, Cookie"
    return response


def _scanned_uri(request: HttpRequest) -> str:
    """The URI as scanned. The raw request line when the server gives it (keeps %2F inside a
    value), else the path Django decoded (stamps never hold a slash in a value)."""
    raw = request.META.get("REQUEST_URI") or request.META.get("RAW_URI") or ""
    if not raw.startswith("/"):
        raw = request.get_full_path()
    return "https://stamp.invalid" + raw


def _localise(summary: dict | None, lang: str, t: dict) -> dict | None:
    """The cached lot summary with the words of one language filled in."""
    if not summary:
        return None
    out = dict(summary)
    crop = {"vi": summary["crop_vi"], "en": summary["crop_en"]}.get(lang) or (
        strings.CROPS_ZH.get(summary["crop_code"]) or summary["crop_en"]
    )
    out["product"] = crop
    out["timeline"] = [
        {**row, "label": t.get(f"step_{row['step']}") or t["step_other"]}
        for row in summary["timeline"]
    ]
    out["inspections"] = [
        {**row, "result": t.get(f"disp_{row['disposition']}", row["disposition"])}
        for row in summary["inspections"]
    ]
    out["certificates"] = [c for a in summary["areas"] for c in a["certificates"]]
    for key in ("harvest_from", "harvest_to", "pack_date"):
        out[key] = _day(summary.get(key), lang)
    out["timeline"] = [{**row, "date": _day(row["date"], lang)} for row in out["timeline"]]
    out["inspections"] = [{**row, "date": _day(row["date"], lang)} for row in out["inspections"]]
    out["areas"] = [
        {**a, "status_label": t.get(f"code_{a['status']}", a["status"])} for a in summary["areas"]
    ]
    out["shipments"] = [
        {
            **row,
            "date": _day(row["date"], lang),
            "country_name": {"vi": row["country_vi"], "en": row["country_en"]}.get(lang)
            or strings.COUNTRIES_ZH.get(row["country"])
            or row["country_en"],
        }
        for row in summary.get("shipments", [])
    ]
    return out


def _day(iso: str | None, lang: str) -> str:
    """A date as people read it: 30/11/2026 in Vietnamese, ISO otherwise."""
    if not iso:
        return ""
    if lang == "vi":
        y, m, d = iso.split("-")
        return f"{d}/{m}/{y}"
    return iso


def _lot_html(lookup: services.Lookup, lang: str, t: dict, lot: str) -> str:
    """The lot part of the page (the same for every stamp of the lot), rendered once per
    language and kept in the shared cache (lotcache.py)."""
    if not lookup.summary or lookup.stamp is None:
        return ""

    def render_lot() -> str:
        return render_to_string(
            "stamps/public/_lot.html",
            {"t": t, "summary": _localise(lookup.summary, lang, t), "lot": lot},
        )

    return mark_safe(lotcache.fragment(lookup.stamp.batch.lot_id, lang, lot, render_lot))  # noqa: S308


def _render_stamp(
    request: HttpRequest, lookup: services.Lookup, lang: str, **extra
) -> HttpResponse:
    t = strings.texts(lang)
    first = lookup.first_scan
    lot = lookup.link.lot if lookup.link else ""
    context = _public_context(
        request,
        lang,
        t,
        status=lookup.status,
        status_title=t[f"status_{lookup.status}"],
        status_help=t[f"status_{lookup.status}_help"],
        problem=lookup.problem,
        serial=lookup.serial if lookup.status not in (Status.MALFORMED,) else "",
        lot=lot,
        summary=lookup.summary,
        lot_html=_lot_html(lookup, lang, t, lot),
        stamp=lookup.stamp,
        first_scan=first,
        first_scan_is_this=lookup.scan_count == 1,
        scan_count=lookup.scan_count,
        visitor_count=lookup.visitor_count,
        today=date.today(),
        **extra,
    )
    response = render(
        request,
        "stamps/public/stamp.html",
        context,
        status=HTTP_STATUS.get(lookup.status, 200),
    )
    # Every opening is a scan to count: no cache may answer in the service's place.
    response["Cache-Control"] = "no-store"
    return _finish(request, response, lang)


# ------------------------------------------------------------------ public views


@require_http_methods(["GET", "HEAD", "POST"])
@rate_limited()
def stamp_page(request: HttpRequest, path: str = "") -> HttpResponse:
    """The page a stamp's QR code opens. GET logs a scan; POST adds the place the person chose
    to share (coarse) to their scan."""
    lang = choose_language(request)
    lookup = services.lookup_uri(_scanned_uri(request))
    if request.method == "POST":
        placed = services.add_place(
            lookup, request.stamp_client, request.POST.get("lat"), request.POST.get("lon")
        )
        return _render_stamp(request, lookup, lang, placed=placed, asked_place=True)
    if request.method == "GET":
        services.log_scan(lookup, request.stamp_client)
    return _render_stamp(request, lookup, lang)


@require_http_methods(["GET", "HEAD"])
@rate_limited()
def public_lookup(request: HttpRequest) -> HttpResponse:
    """Check a typed serial (opens the stamp's page) or a planting-area / packing-house code."""
    lang = choose_language(request)
    serial = request.GET.get("serial", "").strip()[:64]
    code = request.GET.get("code", "").strip()[:64]
    status = 200
    extra: dict = {"serial_query": serial, "code_query": code}
    if serial:
        lookup = services.lookup_serial(serial)
        if lookup.stamp is not None:
            link = lookup.link
            target = link.uri("")  # the path and query on this site
            sep = "&" if "?" in target else "?"
            return _finish(request, HttpResponseRedirect(f"{target}{sep}lang={lang}"), lang)
        extra["serial_status"] = lookup.status
        status = 400 if lookup.status == Status.MALFORMED else 404
    if code:
        with translation.override("vi" if lang == "vi" else "en"):  # crop names
            row = services.public_code(code)
        extra["code_row"] = row
        if row is None:
            status = 404
        else:
            t = strings.texts(lang)
            row["status_label"] = t.get(f"code_{row['status']}", row["status"])
    response = render(
        request,
        "stamps/public/lookup.html",
        _public_context(request, lang, **extra),
        status=status,
    )
    response["Cache-Control"] = "public, max-age=60"
    return _finish(request, response, lang)


# ------------------------------------------------------------------ for packing houses


def _actor(request: HttpRequest) -> Actor:
    return Actor.of(request.user)


@login_required
@require_http_methods(["GET", "POST"])
def batch_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    errors: dict = {}
    form = {"lot": "", "count": "100"}
    if request.method == "POST":
        form = {"lot": request.POST.get("lot", ""), "count": request.POST.get("count", "")}
        try:
            batch = services.request_stamps(actor, form["lot"], form["count"])
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        except issuers.LotNotStampable as exc:
            errors = {"lot": [exc.message]}
        else:
            return redirect("stamps-batch", pk=batch.pk)
    may_request = can(actor, "request_stamps")
    lots = services.packed_lots(actor) if may_request else []
    return render(
        request,
        "stamps/batch_list.html",
        {
            "batches": services.batches(actor)[:100],
            "may_request": may_request,
            "lots": [(lot.uri, issuers.label(lot)) for lot in lots],
            "form": form,
            "errors": errors,
            "other_errors": [
                m for f, ms in errors.items() if f not in ("lot", "count") for m in ms
            ],
        },
        status=422 if errors else 200,
    )


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    batch = services.get_batch(actor, pk)
    stamps = list(batch.stamps.order_by("pk")[:50])
    rows = [{"stamp": s, "uri": services.stamp_uri(s, batch)} for s in stamps]
    counts = {
        "active": batch.stamps.filter(status="active").count(),
        "voided": batch.stamps.filter(status="voided").count(),
        "copies": batch.stamps.filter(suspected_copy_at__isnull=False).count(),
    }
    return render(
        request,
        "stamps/batch_detail.html",
        {
            "batch": batch,
            "rows": rows,
            "counts": counts,
            "qr": services.qr_svg(rows[0]["uri"]) if rows else "",
            "may_act": can(actor, "request_stamps"),
        },
    )


@login_required
@require_POST
def batch_void(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    batch = services.get_batch(actor, pk)
    serials = request.POST.get("serials", "").replace(",", " ").split()
    try:
        n = services.void_stamps(actor, serials, request.POST.get("reason", ""))
    except ValidationError as exc:
        for msgs in (
            exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        ).values():
            for m in msgs:
                messages.error(request, m)
    else:
        messages.success(
            request, ngettext("%(n)s stamp voided.", "%(n)s stamps voided.", n) % {"n": n}
        )
    return redirect("stamps-batch", pk=batch.pk)


@login_required
def batch_csv(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    batch = services.get_batch(actor, pk)
    body = services.export_csv(actor, batch)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="stamps-{batch.pk}.csv"'
    return response


@login_required
def batch_labels(request: HttpRequest, pk: int) -> HttpResponse:
    """Label sheets as PDF (A4 sheets or a roll)."""
    actor = _actor(request)
    batch = services.get_batch(actor, pk)
    if not can(actor, "request_stamps"):
        raise PermissionDenied
    try:
        pdf = services.render_labels(
            batch, request.GET.get("layout", "a4"), request.GET.get("market", "")[:8]
        )
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=422, content_type="text/plain")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="stamps-{batch.pk}.pdf"'
    return response
