"""What every app's API module shares: who is calling (token or session) and how a validation
error becomes the JSON body `{detail, errors: {field: [messages]}}`. The root `agritrace.api`
mounts the apps' routers; the apps import these helpers from here, never from the root."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Schema
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


# ------------------------------------------------------------------ the OpenAPI document


class ErrorOut(Schema):
    """The error body every status below 200 or above 399 carries: `detail` (a sentence, or
    django-ninja's list of schema errors for a request that does not fit its schema) and, for
    a 422, `errors` by field name."""

    detail: str | list[dict]
    errors: dict[str, list[str]] | None = None


#: The error statuses the API answers, each with the operations it applies to (an operation
#: of the OpenAPI document): who must be signed in, what has parameters or a body, and so on.
ERRORS: dict[int, tuple[str, Callable[[dict], bool]]] = {
    401: ("Not signed in (no or an unknown token).", lambda op: "security" in op),
    403: ("Signed in, but this role may not do this.", lambda op: "security" in op),
    404: ("Not found, or not visible to the caller.", lambda op: True),
    413: ("The request body is too large.", lambda op: "requestBody" in op),
    422: (
        "Invalid input: `errors` names each field and its rule.",
        lambda op: bool(op.get("parameters") or op.get("requestBody")),
    ),
}


def declare_errors(document: dict, skip_prefixes: tuple[str, ...] = ()) -> dict:
    """Declare the error statuses (`ERRORS`, with the `ErrorOut` body) on every operation of an
    OpenAPI document that does not declare them itself, so that a client generated from the
    document knows every answer; operations under `skip_prefixes` keep their own."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorOut"] = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    for path, operations in document.get("paths", {}).items():
        if path.startswith(skip_prefixes):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, (description, applies) in ERRORS.items():
                if str(status) not in responses and status not in responses and applies(operation):
                    responses[str(status)] = {"description": description, "content": body}
    return document


def merge_documents(document: dict, other: dict, operation_prefix: str) -> dict:
    """Add another API's paths and components to an OpenAPI document (the paths stay as they
    are: each is the full path from the site's root; its operation ids get `operation_prefix`,
    as the same view may serve both). A component of the same name must be the same schema:
    otherwise one would silently describe the other's responses."""
    for path, operations in other.get("paths", {}).items():
        if path in document["paths"]:
            raise ValueError(f"Both OpenAPI documents have the path {path}.")
        for operation in operations.values():
            if "operationId" in operation:
                operation["operationId"] = operation_prefix + operation["operationId"]
        document["paths"][path] = operations
    for kind, items in other.get("components", {}).items():
        mine = document.setdefault("components", {}).setdefault(kind, {})
        for name, value in items.items():
            if name in mine and mine[name] != value:
                raise ValueError(f"Both OpenAPI documents define {kind} {name} differently.")
            mine[name] = value
    return document


def nul_characters(request) -> dict[str, list[str]]:
    """The query parameters holding a NUL character, by name (PostgreSQL refuses to compare a
    text with one: a DataError that the API answers as a refused parameter, not a 500)."""
    found: dict[str, list[str]] = {}
    for name, values in request.GET.lists():
        if any("\x00" in value for value in values):
            found[name] = [f"{name} must not contain a NUL character."]
    return found
