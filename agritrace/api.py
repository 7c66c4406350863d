"""The JSON API (django-ninja). Schema and docs at /api/docs. Machines authenticate with
`Authorization: Bearer <token>`; the web UI's session works too (with its CSRF token).
/api/openapi.json also describes the EPCIS 2.0 interface, which keeps its own paths under
/epcis/ (and its own document at /epcis/openapi.json): one entry point for all of it."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import ValidationError as SchemaError

from agritrace.apiutil import (
    AUTH,
    declare_errors,
    error_dict,
    merge_documents,
    nul_characters,
    out_of_range,
    schema_error_dict,
)
from agritrace.numbers import number


class AgriTraceAPI(NinjaAPI):
    """The root API, whose OpenAPI document declares every operation's error statuses and
    includes the EPCIS interface's operations at their /epcis/ paths."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        from agritrace.trace.urls_epcis import epcis_api

        document = declare_errors(
            super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        )
        return merge_documents(document, epcis_api.get_openapi_schema(), "epcis_")


api = AgriTraceAPI(
    title="AgriTrace API",
    version="1",
    description="Planting-area and packing-house codes, households, plots and the public code "
    "list. Errors come as JSON: {detail, errors: {field: [messages]}}. The EPCIS 2.0 capture "
    "and query interface is listed here too, at its REST bindings' paths under /epcis/ (its "
    "errors are EPCIS exceptions; its own document: /epcis/openapi.json).",
    docs_url="/docs",
    urls_namespace="api",
    auth=AUTH,
)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    errors = error_dict(exc)
    first = next(iter(errors.items()))
    detail = f"{first[0]}: {first[1][0]}" if first[0] != "__all__" else first[1][0]
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


@api.exception_handler(SchemaError)
def on_schema_error(request, exc: SchemaError):
    """A request that does not fit its schema: django-ninja's `detail` list (each with its
    `loc`) and, as for every other 422, `errors` by field name."""
    return api.create_response(
        request, {"detail": exc.errors, "errors": schema_error_dict(exc.errors)}, status=422
    )


@api.exception_handler(RequestDataTooBig)
def on_too_big(request, exc):
    """A body above DATA_UPLOAD_MAX_MEMORY_SIZE: a 413 in JSON, not Django's HTML 400 page
    (EPCIS captures have their own, larger limit: trace.intake)."""
    detail = _("The request body is too large (at most %(n)s bytes).") % {
        "n": number(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    }
    return api.create_response(
        request, {"detail": detail, "errors": {"__all__": [detail]}}, status=413
    )


def on_number_out_of_range(request, exc):
    """A whole number the database cannot hold (SQLite: OverflowError; PostgreSQL: DataError),
    in a filter or a path: a 422 naming the parameter, not a 500."""
    errors = out_of_range(
        request, getattr(request, "resolver_match", None) and request.resolver_match.kwargs
    ) or nul_characters(request)
    if not errors:
        raise exc
    field, messages = next(iter(errors.items()))
    return api.create_response(
        request, {"detail": f"{field}: {messages[0]}", "errors": errors}, status=422
    )


api.add_exception_handler(OverflowError, on_number_out_of_range)
api.add_exception_handler(DataError, on_number_out_of_range)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    return api.create_response(request, {"detail": str(exc) or "You may not do this."}, status=403)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, {"detail": "Not found."}, status=404)


def _register_routers() -> None:
    # First: the registry's /areas/{area_id} would otherwise take /areas/import.
    from agritrace.registry.api_import import router as area_import_router

    api.add_router("/", area_import_router)

    from agritrace.accounts.api import router as accounts_router
    from agritrace.diary.api import router as diary_router
    from agritrace.eudr.api import router as eudr_router
    from agritrace.exchange.api import router as exchange_router
    from agritrace.misuse.api import router as misuse_router
    from agritrace.places.api import router as places_router
    from agritrace.products.api import router as products_router
    from agritrace.registry.api import public_router
    from agritrace.registry.api import router as registry_router
    from agritrace.registry.api_approvals import router as approvals_router
    from agritrace.registry.api_authorisations import router as authorisations_router
    from agritrace.registry.api_code_import import router as code_import_router
    from agritrace.reports.api import router as reports_router
    from agritrace.stamps.api import router as stamps_router
    from agritrace.supervision.api import router as supervision_router
    from agritrace.supervision.api_calendars import router as calendars_router
    from agritrace.trace.api import router as trace_router

    api.add_router("/", registry_router)
    api.add_router("/", authorisations_router)
    api.add_router("/", approvals_router)
    api.add_router("/public", public_router)
    api.add_router("/registry", code_import_router)
    api.add_router("/accounts", accounts_router)
    api.add_router("/diary", diary_router)
    api.add_router("/supervision", supervision_router)
    api.add_router("/supervision", calendars_router)
    api.add_router("/trace", trace_router)
    api.add_router("/stamps", stamps_router)
    api.add_router("/misuse", misuse_router)
    api.add_router("/eudr", eudr_router)
    api.add_router("/reports", reports_router)
    api.add_router("/exchange", exchange_router)
    api.add_router("/products", products_router)
    api.add_router("/places", places_router)


_register_routers()
