"""The profile page (/accounts/profile/: who one is, and the saved language) and the header's
language switch, which also saves the preference of a signed-in person. Thin: the rule is in
preferences.py."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from agritrace.web.forms import add_service_errors

from . import preferences


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=settings.LANGUAGES)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(
        request.POST or None, initial={"language": preferences.language_of(request.user)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            preferences.set_language(request.user, form.cleaned_data["language"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            translation.activate(form.cleaned_data["language"])
            messages.success(request, _("Your language is saved."))
            return redirect("profile")
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "saved": preferences.saved_language(request.user)},
    )


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the cookie, for the public pages), and for a signed-in person
    the saved preference too, so that the switch keeps working after logging in."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in preferences.offered_languages():
        preferences.set_language(request.user, language)
    return django_set_language(request)
