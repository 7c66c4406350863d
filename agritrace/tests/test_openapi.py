"""The OpenAPI document (issue 14, defects 6 and 8): every response model of an operation is
the component its name points at (two schemas of one name made the document describe the
catalogue's and the diary flags' answers with another module's schema), the error statuses
are declared with the project's error body, and /api/openapi.json (shown by /api/docs) also
lists the EPCIS interface at its own /epcis/ paths."""

import jsonschema
import pytest
from ninja.openapi.schema import REF_TEMPLATE, NinjaGenerateJsonSchema

from agritrace.api import api
from agritrace.trace.urls_epcis import epcis_api

EPCIS_PATHS = {"/epcis/capture", "/epcis/capture/{capture_id}", "/epcis/events"}


@pytest.fixture(scope="module")
def document():
    return api.get_openapi_schema()


def test_every_response_model_is_the_component_of_its_name(document):
    """Each model an operation answers with (and each model inside it) appears in the
    document's components under its name exactly as it is: no other schema took its name."""
    components = document["components"]["schemas"]
    wrong = []
    for operation in (
        op
        for router in api._routers
        for pv in router[1].path_operations.values()
        for op in pv.operations
    ):
        for status, model in operation.response_models.items():
            if model is None or not hasattr(model, "model_json_schema"):
                continue
            schema = model.model_json_schema(
                ref_template=REF_TEMPLATE,
                by_alias=operation.by_alias,
                schema_generator=NinjaGenerateJsonSchema,
                mode="serialization",
            )
            for name, definition in schema.get("$defs", {}).items():
                if components.get(name) != definition:
                    wrong.append(
                        f"{operation.view_func.__module__}.{operation.view_func.__name__}"
                        f" {status}: {name}"
                    )
    assert not wrong, wrong


def _errors_schema(document, path, method, status):
    answer = document["paths"][path][method]["responses"][str(status)]
    ref = answer["content"]["application/json"]["schema"]["$ref"]
    return {
        **document["components"]["schemas"][ref.rsplit("/", 1)[1]],
        "components": document["components"],
    }


def test_error_statuses_are_declared_with_the_error_body(document):
    for path, operations in document["paths"].items():
        if path.startswith("/epcis/"):
            continue
        for method, operation in operations.items():
            declared = {str(status) for status in operation["responses"]}
            assert "404" in declared, (path, method)
            if "security" in operation:
                assert {"401", "403"} <= declared, (path, method)
            if operation.get("parameters") or operation.get("requestBody"):
                assert "422" in declared, (path, method)
    assert "401" not in document["paths"]["/api/public/catalogue"]["get"]["responses"]
    assert 401 not in document["paths"]["/api/public/catalogue"]["get"]["responses"]


@pytest.mark.django_db
def test_the_error_bodies_fit_the_declared_schema(client, document, world):
    """A 401, a schema 422 (detail as a list), a field 422 and a 404 as the API sends them."""
    answers = [
        ("/api/diary/flags", "get", client.get("/api/diary/flags"), 401),
        ("/api/diary/entries", "get", client.get("/api/diary/entries?area=x"), 401),
    ]
    client.force_login(world.users["ministry"])
    answers += [
        ("/api/diary/entries", "get", client.get("/api/diary/entries?area=x"), 422),
        ("/api/plots/{plot_id}", "get", client.get("/api/plots/999999"), 404),
    ]
    for path, method, response, status in answers:
        assert response.status_code == status, (path, response.content)
        jsonschema.validate(response.json(), _errors_schema(document, path, method, status))


@pytest.mark.django_db
def test_one_entry_point_lists_the_epcis_interface_at_its_own_paths(client):
    """/api/docs shows /api/openapi.json, which has the EPCIS operations at the REST bindings'
    /epcis/ paths, as /epcis/openapi.json describes them; every operation id is unique."""
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and b"/api/openapi.json" in docs.content
    merged = client.get("/api/openapi.json").json()
    epcis = client.get("/epcis/openapi.json").json()
    assert EPCIS_PATHS <= set(merged["paths"]) and EPCIS_PATHS <= set(epcis["paths"])
    for path, operations in epcis["paths"].items():
        assert set(merged["paths"][path]) == set(operations)
        for method, operation in operations.items():
            assert merged["paths"][path][method]["responses"] == operation["responses"]
    ids = [op["operationId"] for ops in merged["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert epcis_api.get_openapi_schema()["paths"].keys() == epcis["paths"].keys()


@pytest.mark.django_db
def test_a_nul_character_in_a_query_is_refused_not_a_server_error(client, world):
    """Found by Schemathesis on PostgreSQL: EQ_bizStep with a NUL made /epcis/events a 500
    (PostgreSQL refuses the text: a 400 naming the parameter; SQLite matches nothing)."""
    from django.db import connection

    client.force_login(world.users["ministry"])
    response = client.get("/epcis/events", {"EQ_bizStep": "a\x00b"})
    if connection.vendor != "postgresql":
        assert response.status_code == 200, response.content
        assert response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"] == []
        return
    assert response.status_code == 400, response.content
    assert "EQ_bizStep" in response.json()["errors"]


def test_no_key_is_written_twice_in_the_schema():
    """A route's own responses given as "200" beside django-ninja's 200 became two "200" keys
    in the JSON: Swagger UI (js-yaml) refused the whole document and /api/docs showed nothing."""
    from agritrace.api import api

    repeated = []

    def walk(node, path: str) -> None:
        if isinstance(node, dict):
            keys = [str(k) for k in node]
            if len(keys) != len(set(keys)):
                repeated.append(path)
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for value in node:
                walk(value, path)

    from agritrace.trace.urls_epcis import epcis_api

    walk(api.get_openapi_schema(), "")
    walk(epcis_api.get_openapi_schema(), "epcis")
    assert repeated == []
