"""The API describes itself: /api/openapi.json and the docs page."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PATHS = [
    "/api/areas",
    "/api/areas/{area_id}",
    "/api/areas/{area_id}/households",
    "/api/areas/{area_id}/plots.geojson",
    "/api/areas/{area_id}/suspend",
    "/api/areas/{area_id}/reinstate",
    "/api/areas/{area_id}/revoke",
    "/api/areas/{area_id}/authorisations",
    "/api/authorisations/{auth_id}/withdraw",
    "/api/areas/{area_id}/may-use",
    "/api/areas/{area_id}/market-approvals",
    "/api/households",
    "/api/households/{household_id}",
    "/api/plots",
    "/api/plots/import",
    "/api/plots/{plot_id}",
    "/api/packing-houses",
    "/api/packing-houses/{house_id}",
    "/api/packing-houses/{house_id}/suspend",
    "/api/packing-houses/{house_id}/reinstate",
    "/api/packing-houses/{house_id}/revoke",
    "/api/applications",
    "/api/applications/{app_id}",
    "/api/applications/{app_id}/actions",
    "/api/public/codes",
    "/api/public/codes.csv",
    "/api/public/codes.xlsx",
    "/api/public/catalogue",
    "/api/accounts/me",
    "/api/accounts/tokens",
    "/api/accounts/tokens/{token_id}/revoke",
]


def test_it_works():
    r = Client().get("/api/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["info"]["title"] == "AgriTrace API"
    assert set(PATHS) <= set(schema["paths"])
    area = schema["paths"]["/api/areas"]
    assert set(area) == {"get", "post"}
    assert set(schema["paths"]["/api/areas/{area_id}"]) == {"get", "patch"}
    # the household's ID number is documented as optional: it is left out for most readers
    household = schema["components"]["schemas"]["HouseholdOut"]
    assert "national_id" in household["properties"]
    assert "national_id" not in household["required"]


def test_it_documents_authentication():
    schema = Client().get("/api/openapi.json").json()
    private = schema["paths"]["/api/areas"]["get"]
    assert private["security"]
    public = schema["paths"]["/api/public/codes"]["get"]
    assert not public.get("security")


def test_it_rejects_bad_input():
    assert Client().get("/api/no-such-thing").status_code == 404


def test_it_checks_access():
    # the description and docs are public; the data behind them is not
    assert Client().get("/api/docs").status_code == 200
    assert Client().get("/api/areas").status_code == 401
