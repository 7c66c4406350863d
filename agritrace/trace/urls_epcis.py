"""The EPCIS 2.0 REST interface at the standard's own paths: /epcis/capture,
/epcis/capture/{captureID}, /epcis/events, /epcis/events/{eventID} (docs at /epcis/docs).
Mounted from agritrace/urls.py with `path("epcis/", include("agritrace.trace.urls_epcis"))`."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError
from django.http import Http404
from django.urls import path
from ninja import NinjaAPI

from agritrace.apiutil import AUTH, error_dict, nul_characters

from .api import build_router

epcis_api = NinjaAPI(
    title="AgriTrace EPCIS 2.0",
    version="2.0.0",
    description="GS1 EPCIS 2.0 capture and query (REST bindings). Authenticate with "
    "`Authorization: Bearer <token>`.",
    docs_url="/docs",
    urls_namespace="epcis",
    auth=AUTH,
)
epcis_api.add_router("/", build_router())


@epcis_api.exception_handler(ValidationError)
def _on_validation_error(request, exc: ValidationError):
    errors = error_dict(exc)
    field, messages = next(iter(errors.items()))
    body = {
        "type": "epcisException:QueryParameterException",
        "title": "Invalid query",
        "status": 400,
        "detail": f"{field}: {messages[0]}",
        "errors": errors,
    }
    return epcis_api.create_response(request, body, status=400)


@epcis_api.exception_handler(DataError)
def _on_data_error(request, exc: DataError):
    """A query parameter with a NUL character (PostgreSQL refuses it): a 400, not a 500."""
    errors = nul_characters(request)
    if not errors:
        raise exc
    return _on_validation_error(request, ValidationError(errors))


@epcis_api.exception_handler(PermissionDenied)
def _on_permission_denied(request, exc):
    body = {"type": "epcisException:SecurityException", "status": 403, "detail": str(exc)}
    return epcis_api.create_response(request, body, status=403)


@epcis_api.exception_handler(Http404)
def _on_not_found(request, exc):
    body = {"type": "epcisException:NoSuchResourceException", "status": 404, "detail": "Not found."}
    return epcis_api.create_response(request, body, status=404)


urlpatterns = [path("", epcis_api.urls)]
