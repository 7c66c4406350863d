"""The misuse pages: the province's early-warning dashboard (map and merged queue), a case
(evidence, explained score, chart, steps, the officer's forms) and the rules. Thin: each view
parses, calls a service and renders; who sees what comes from `misuse.access` (403 for those
who see no case, 404 for a case outside one's land)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agritrace.apiutil import actor as _actor
from agritrace.web.forms import add_service_errors, service_errors

from . import access, queries, thresholds, workflow
from . import dashboard as board
from .forms import STEP_FORMS, ActForm, RuleForm
from .models import SEVERITY_WEIGHT, Case, CaseStatus, Rule, Severity
from .series import case_series

STEP_DONE = {
    "review": gettext_lazy("The case is under review."),
    "dismiss": gettext_lazy("The case is dismissed."),
    "confirm": gettext_lazy("The case is confirmed."),
    "act": gettext_lazy("The action is taken."),
    "note": gettext_lazy("The note is added."),
}


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The early warning: the queue of codes to look at first and their map."""
    actor = _actor(request)
    access.require_see(actor)
    errors: dict = {}
    try:
        filters = queries.CaseFilters.from_mapping(request.GET)
        rows = board.queue(actor, filters)
    except ValidationError as exc:
        errors = service_errors(exc)
        filters = queries.CaseFilters()
        rows = board.queue(actor, filters)
    visible = access.visible_cases(actor)
    counts = {
        s: visible.filter(status=s).count()
        for s in (CaseStatus.OPEN, CaseStatus.REVIEW, CaseStatus.CONFIRMED)
    }
    return render(
        request,
        "misuse/dashboard.html",
        {
            "rows": rows,
            "features": board.map_features(actor, rows),
            "filters": filters,
            "filter_errors": errors,
            "counts": counts,
            "rules": Rule.objects.all(),
            "statuses": CaseStatus.choices,
            "severities": Severity.choices,
            "seasons": visible.values_list("season", flat=True).distinct().order_by("-season"),
            "communes": _communes(visible),
            "points_per_score": board.MISUSE_POINTS_PER_SCORE,
            "may_plan": _may_plan(actor),
        },
    )


def _communes(cases):
    from agritrace.places.models import AdminUnit

    return AdminUnit.objects.filter(pk__in=cases.values("commune_id")).order_by("name")


def _may_plan(actor) -> bool:
    from agritrace.accounts.access import can

    return can(actor, "plan_monitoring")


#: Evidence keys the case page shows in their own tables (or not at all: the rule's code).
SHOWN_APART = {"figures", "threshold", "events", "lots", "event_count", "lot_count", "rule"}


def _shown(values: dict | None) -> list[tuple[str, object]]:
    """Evidence figures for the page: sorted by name, numbers grouped in the language's way
    (at most two decimals); anything else as it is."""
    out = []
    for key, value in sorted((values or {}).items()):
        if isinstance(value, dict):
            value = ", ".join(f"{k} = {v}" for k, v in sorted(value.items())) or "—"
        if isinstance(value, bool) or not isinstance(value, int | float):
            out.append((key, value))
            continue
        places = 0 if float(value).is_integer() else 2
        out.append((key, number_format(value, places, use_l10n=True, force_grouping=True)))
    return out


def _score_parts(case: Case) -> list[dict]:
    """How the score is made: severity weight × how far the threshold is crossed, then what
    the rule says drove it (for scored rules such as the volume anomaly)."""
    weight = SEVERITY_WEIGHT.get(case.severity, 1.0)
    ratio = (case.evidence or {}).get("ratio") or (case.score / weight if weight else 1.0)
    parts = [
        {
            "feature": _("severity weight (%(severity)s)")
            % {"severity": case.get_severity_display().lower()},
            "value": number_format(weight, 0),
            "contribution": "×",
        },
        {
            "feature": _("how far the threshold is crossed"),
            "value": number_format(ratio, 2),
            "contribution": "= " + number_format(case.score, 2),
        },
    ]
    for part in case.explanation or []:
        parts.append(
            {
                "feature": part.get("feature", ""),
                "value": part.get("value", ""),
                "contribution": part.get("contribution", ""),
            }
        )
    return parts


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    case = access.get_case(
        actor,
        pk,
        Case.objects.select_related(
            "rule", "party", "province", "commune", "area", "packing_house", "organisation"
        ),
    )
    allowed = workflow.allowed_steps(actor, case)
    posted = request.POST.get("step") if request.method == "POST" else None
    if posted is not None and posted not in STEP_FORMS:
        posted = None
    if posted and posted not in allowed:
        # Out of order or not one's to take: let the service say which (403 or a message).
        allowed = [*allowed, posted]
    forms = {}
    for step in allowed:
        form_class, button = STEP_FORMS[step]
        bound = request.POST if posted == step else None
        form = form_class(bound, prefix=step)
        if step == "act" and bound is None:
            form = ActForm(prefix=step, initial={"action": "warning"})
        forms[step] = {"form": form, "button": button}
    if posted:
        form = forms[posted]["form"]
        if form.is_valid():
            data = form.cleaned_data
            try:
                if posted == "act":
                    workflow.act(
                        actor,
                        case,
                        data["action"],
                        data["reason"],
                        due_date=data["due_date"],
                        until=data["until"],
                    )
                elif posted == "dismiss":
                    workflow.dismiss(actor, case, data["reason"])
                else:
                    workflow.STEPS[posted](actor, case, data["note"])
            except ValidationError as exc:
                add_service_errors(form, exc, {"status": None})
            else:
                messages.success(request, STEP_DONE[posted])
                return redirect("misuse:case", case.pk)
    evidence = case.evidence or {}
    series = case_series(case)
    chart_rows = [
        (label, [d["data"][i] for d in series["datasets"]])
        for i, label in enumerate(series["labels"])
    ]
    return render(
        request,
        "misuse/case_detail.html",
        {
            "case": case,
            "holder": workflow.holder_of(case),
            "figures": _shown(evidence.get("figures")),
            "threshold": _shown(evidence.get("threshold")),
            "events": evidence.get("events") or [],
            "lots": evidence.get("lots") or [],
            "event_count": evidence.get("event_count") or len(evidence.get("events") or []),
            "lot_count": evidence.get("lot_count") or len(evidence.get("lots") or []),
            "other_evidence": _shown({k: v for k, v in evidence.items() if k not in SHOWN_APART}),
            "series": series,
            "chart_rows": chart_rows,
            "score_parts": _score_parts(case),
            "steps": case.steps.select_related("by"),
            "forms": forms,
            "posted": posted,
        },
    )


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    """The rules with their thresholds; the authority edits them here."""
    actor = _actor(request)
    rule_list = list(thresholds.visible_rules(actor))
    editable = access.can(actor, "edit_rules")
    posted = request.POST.get("rule") if request.method == "POST" else None
    rows = []
    for rule in rule_list:
        names = thresholds.shipped_names(rule)
        form = None
        if editable:
            bound = request.POST if posted == rule.code else None
            initial = {"enabled": rule.enabled}
            initial.update({f"t_{k}": v for k, v in (rule.thresholds or {}).items()})
            form = RuleForm(bound, rule=rule, names=names, prefix=rule.code, initial=initial)
            if bound is not None and form.is_valid():
                try:
                    thresholds.update_rule(
                        actor, rule.code, form.thresholds(), form.cleaned_data["enabled"]
                    )
                except ValidationError as exc:
                    add_service_errors(form, exc, {"thresholds": None})
                else:
                    messages.success(request, _("Rule %(code)s saved.") % {"code": rule.code})
                    return redirect("misuse:rules")
        rows.append({"rule": rule, "form": form})
    if posted and not editable:
        access.require(actor, "edit_rules")
    return render(request, "misuse/rules.html", {"rows": rows, "editable": editable})
