"""What every app's API module shares: who is calling (token or session) and how a validation
error becomes the JSON body `{detail, errors: {field: [messages]}}`. The root `agritrace.api`
mounts the apps' routers; the apps import these helpers from here, never from the root."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja.security import HttpBearer, django_auth

from agritrace.accounts.access import Actor
from agritrace.accounts.models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        found = ApiToken.find_active(token)
        if found is None:
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        request.user = found.user
        return found.user


AUTH = [TokenAuth(), django_auth]


def actor(request) -> Actor:
    """The actor behind a request (token or session)."""
    cached = getattr(request, "_actor", None)
    if cached is None:
        cached = Actor.of(request.user)
        request._actor = cached
    return cached


def error_dict(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for e in errs for m in e.messages]
            for field, errs in exc.error_dict.items()
        }
    return {"__all__": [str(m) for m in exc.messages]}


def schema_error_dict(errors: list[dict]) -> dict[str, list[str]]:
    """django-ninja's validation errors by field: the `loc` without its source (query, path,
    body) and the body parameter's name, joined with dots; the message without pydantic's
    "Value error, " prefix."""
    found: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        source, rest = (loc[0], loc[1:]) if loc else ("", [])
        if source == "body" and len(rest) > 1:
            rest = rest[1:]
        field = ".".join(rest) or "__all__"
        message = str(error.get("msg", ""))
        found.setdefault(field, []).append(message.removeprefix("Value error, "))
    return found


#: The largest integer the databases store (a 64-bit signed integer).
MAX_DB_INT = 2**63 - 1


def out_of_range(request, path_params: dict | None = None) -> dict[str, list[str]]:
    """The query and path parameters whose whole number does not fit the database's integer,
    by name (what the API names in its 422 when the database refused such a number)."""
    found: dict[str, list[str]] = {}
    values = [(k, v) for k, vs in request.GET.lists() for v in vs]
    values += list((path_params or {}).items())
    for name, value in values:
        text = str(value).strip().lstrip("+-")
        if text.isdigit() and int(text) > MAX_DB_INT:
            found.setdefault(name, []).append(
                f"{name} must be a whole number from -{MAX_DB_INT + 1} to {MAX_DB_INT}."
            )
    return found
