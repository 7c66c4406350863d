"""A person's saved preferences: the language of the pages after logging in.

Signed-in people see the language they saved (Vietnamese, the site's LANGUAGE_CODE, until they
choose another), whatever their browser asks for; the public pages keep following the browser
(Accept-Language, or the language switch's cookie). PreferredLanguageMiddleware applies it."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from agritrace.audit.services import record, snapshot

from .models import Profile


def offered_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def language_of(user) -> str:
    """The language a signed-in person's pages are in: the saved one, else the default."""
    saved = (
        Profile.objects.filter(user_id=user.pk).values_list("language", flat=True).first()
        if getattr(user, "pk", None)
        else None
    )
    if saved in offered_languages():
        return saved
    return settings.LANGUAGE_CODE


def saved_language(user) -> str:
    """The saved choice itself ("" when none was saved)."""
    return Profile.objects.filter(user_id=user.pk).values_list("language", flat=True).first() or ""


def set_language(user, language: str) -> Profile:
    """Save a person's language (one of LANGUAGES), audited; 422 on `language` otherwise."""
    language = (language or "").strip()
    if language not in offered_languages():
        raise ValidationError(
            {
                "language": _("Choose one of: %(choices)s.")
                % {"choices": ", ".join(offered_languages())}
            }
        )
    with transaction.atomic():
        profile, created = Profile.objects.select_for_update().get_or_create(user=user)
        before = None if created else snapshot(profile)
        if not created and profile.language == language:
            return profile
        profile.language = language
        profile.save(update_fields=["language"])
        record(user, "accounts.language_set", profile, before=before, after=snapshot(profile))
    return profile


class PreferredLanguageMiddleware:
    """After authentication: a signed-in person's pages are in their saved language.
    Anonymous requests keep LocaleMiddleware's choice (cookie, then Accept-Language)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = language_of(user)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
