"""Paging numbers on every list endpoint (issue 14 defect 3, issue 18): the list routes are
read from /api/openapi.json, so a new one is covered without editing this file."""

import re

import pytest
from django.test import Client

from agritrace.paging import MAX_LIMIT, MAX_OFFSET

pytestmark = pytest.mark.django_db

BAD = [
    ("null", "{name}=null"),
    ("repeated null", "{name}=null&{name}=null"),
    ("repeated", "{name}=1&{name}=2"),
    ("negative", "{name}=-1"),
    ("empty", "{name}="),
    ("fraction", "{name}=1.5"),
    ("beyond 64 bits", "{name}=28528201738849804798484545536"),
    ("just beyond 64 bits", f"{{name}}={2**64}"),
    ("beyond the range", "{name}={above}"),
]
ABOVE = {"limit": MAX_LIMIT + 1, "offset": MAX_OFFSET + 1}


def paged_operations() -> list[str]:
    """The GET paths of /api/openapi.json that take `limit` or `offset`."""
    from agritrace.api import api

    schema = api.get_openapi_schema()
    found = []
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if not get:
            continue
        names = {p["name"] for p in get.get("parameters", []) if p.get("in") == "query"}
        if names & {"limit", "offset"}:
            found.append(path)
    return sorted(found)


def _url(path: str) -> str:
    # A path parameter gets 1: the query is validated before the object is looked up.
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.fixture
def ministry(world):
    """The ministry's manager: it reads every list, the national exchange's too (whose
    administrators are the authorities' managers, exchange/access.py)."""
    from agritrace.accounts.models import Role
    from conftest import make_user

    client = Client()
    client.force_login(make_user("ministry_manager", world.orgs["ministry"], Role.MANAGER))
    return client


def test_the_list_endpoints_are_found():
    paths = paged_operations()
    for expected in ("/api/areas", "/api/households", "/api/diary/catalogue/ingredients"):
        assert expected in paths


def test_every_paged_list_declares_both_numbers_and_their_bounds():
    from agritrace.api import api

    schema = api.get_openapi_schema()
    for path in paged_operations():
        params = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        for name, (low, high) in {"limit": (1, MAX_LIMIT), "offset": (0, MAX_OFFSET)}.items():
            assert name in params, f"{path} pages without `{name}`: use agritrace.paging.Paging"
            bounds = params[name]["schema"]
            assert (bounds.get("minimum"), bounds.get("maximum")) == (low, high), (
                f"{path}: `{name}` is not bounded; page with @paginate(agritrace.paging.Paging)"
            )


@pytest.mark.parametrize("path", paged_operations())
def test_bad_paging_numbers_are_a_422_naming_the_parameter(ministry, path):
    url = _url(path)
    ok = ministry.get(f"{url}?limit={MAX_LIMIT}&offset={MAX_OFFSET}")
    assert ok.status_code == 200, (path, ok.content[:300])
    assert ok.json()["items"] == []
    for name in ("limit", "offset"):
        for label, query in BAD:
            r = ministry.get(f"{url}?{query.format(name=name, above=ABOVE[name])}")
            assert r.status_code == 422, (path, name, label, r.status_code, r.content[:300])
            body = r.json()
            low, high = (1, MAX_LIMIT) if name == "limit" else (0, MAX_OFFSET)
            rule = f"{name} must be one whole number from {low} to {high}."
            expected = f"{name} is given more than once; {rule}" if "repeated" in label else rule
            assert body["errors"] == {name: [expected]}, (path, name, label, body)
            assert [d["loc"][-1] for d in body["detail"]] == [name]


def test_paging_still_pages(ministry, world):
    from conftest import make_area

    make_area(world)
    make_area(world, lon=108.1)
    first = ministry.get("/api/areas?limit=1").json()
    second = ministry.get("/api/areas?limit=1&offset=1").json()
    assert first["count"] == second["count"] == 2
    assert first["items"][0]["id"] != second["items"][0]["id"]
    assert ministry.get(f"/api/areas?limit={MAX_LIMIT}").json()["count"] == 2


def _get(client, url):
    from django.db import transaction

    sid = transaction.savepoint()  # PostgreSQL aborts the test's transaction on the error
    try:
        return client.get(url)
    finally:
        transaction.savepoint_rollback(sid)


def test_a_filter_beyond_64_bits_is_a_422_naming_it(ministry):
    """Found by Schemathesis after the paging fix: a filter number the database's integer
    cannot hold was a 500 on SQLite (OverflowError). PostgreSQL compares it as a number and
    finds nothing: a 200 with no items there (no object has such an id), never a 500."""
    from django.db import connection

    r = _get(ministry, "/api/diary/entries?area=8841470506929254039552")
    if connection.vendor == "postgresql" and r.status_code == 200:
        assert r.json()["items"] == []
        return
    assert r.status_code == 422, r.content[:300]
    assert r.json()["errors"] == {
        "area": [f"area must be a whole number from -{2**63} to {2**63 - 1}."]
    }


def test_a_path_id_beyond_64_bits_is_no_such_object(ministry):
    for url in ("/api/areas/28528201738849804798484545536", f"/api/households/{2**63}"):
        assert _get(ministry, url).status_code == 404
