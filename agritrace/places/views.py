"""The province abbreviations page: everyone reads, the authority enters or changes one."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from agritrace.accounts.access import Actor
from agritrace.web.forms import add_service_errors

from . import abbreviations
from .forms import AbbreviationForm


@require_http_methods(["GET", "POST"])
def abbreviation_list(request: HttpRequest) -> HttpResponse:
    actor = Actor.of(request.user)
    settable = abbreviations.settable_provinces(actor)
    form = AbbreviationForm(provinces=settable) if settable.exists() else None
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        form = AbbreviationForm(request.POST, provinces=settable)
        if form.is_valid():
            data = form.cleaned_data
            try:
                row = abbreviations.set_abbreviation(
                    actor,
                    data["province"],
                    data["abbreviation"],
                    data["source"],
                    data["source_date"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(province)s: abbreviation %(abbr)s saved.")
                    % {"province": row.province.name, "abbr": row.abbreviation},
                )
                return redirect("places-abbreviations")
        elif not settable.exists():
            # nothing the actor may set: the province field refuses every choice
            raise PermissionDenied(_("Your organisation may not set province abbreviations."))
    rows = list(abbreviations.listing(include_inactive=True))
    return render(
        request,
        "places/abbreviations.html",
        {
            "current": [r for r in rows if r.active and r.province.tree == "2025"],
            "earlier": [r for r in rows if not r.active or r.province.tree != "2025"],
            "form": form,
            "missing": settable.exclude(abbreviations__active=True),
        },
    )
