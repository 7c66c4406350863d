"""The endpoint × role matrix (issue 14): every API route, from the OpenAPI schemas and the URL
resolver, called by every caller of access_matrix.CALLERS (anonymous, one officer per kind of
organisation, second organisations of a kind, every role of two organisations) and checked
against the one declared table, access_table.ROWS. A route without a row fails with the row to
add. Each request runs in a transaction rolled back after it, so no call changes what the
next one sees; the organisations, objects and tokens are made once for the module.
The web pages get the same: every page of the URL resolver, fetched by every caller signed
in with a session, against page_roles_table.PAGE_ROWS.

To see what the routes answer now (to write a new row): AGRITRACE_ACCESS_RECORD=FILE pytest
agritrace/tests/test_access_matrix.py writes one observed row per route to FILE."""

import json
import os
import re

import pytest
from django.db import transaction
from django.test import Client

from agritrace.accounts.models import ApiToken, Role
from agritrace.tests.access_matrix import (
    CALLERS,
    ORG_CALLERS,
    ROLE_CALLERS,
    Row,
    all_routes,
    outcome,
    row_hint,
)
from agritrace.tests.access_table import ROWS
from agritrace.tests.page_roles_table import PAGE_ROWS
from agritrace.tests.test_page_matrix import page_routes, page_url

RECORD = os.environ.get("AGRITRACE_ACCESS_RECORD")
MISSING = "999999"


def table_problems(routes: set, rows: dict) -> str:
    """What is wrong between the routes and the table's rows, as the failure message."""
    problems = [
        "a route without a row in the access table; add:\n" + row_hint(m, p)
        for m, p in sorted(routes - set(rows))
    ]
    problems += [
        f"a row of access_table.py for a route that does not exist: {key}"
        for key in sorted(set(rows) - routes)
    ]
    return "\n".join(problems)


def test_every_route_has_a_row():
    problems = table_problems(all_routes(), ROWS)
    assert not problems, problems


def test_a_new_route_without_a_row_is_named_with_the_row_to_add():
    routes = all_routes() | {("POST", "/api/misuse/cases")}
    problems = table_problems(routes, ROWS)
    assert "('POST', '/api/misuse/cases'): Row()" in problems
    assert "agritrace/tests/access_table.py" in problems
    assert "/api/areas" not in problems


def test_rows_read_as_one_outcome_per_caller():
    row = Row(allow="ppo", forbid="coop.* exporter", missing="other_ppo", rest="403")
    expected = row.expected()
    assert set(expected) == set(CALLERS)
    assert expected["anonymous"] == "401" and expected["ppo"] == "allow"
    assert [expected[c] for c in ROLE_CALLERS if c.startswith("coop.")] == ["403"] * 4
    assert expected["other_ppo"] == "404" and expected["ministry"] == "403"
    with pytest.raises(ValueError, match="unknown caller"):
        Row(allow="nobody").expected()


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker):
    """Two organisations of each kind that matters, every role of coop and ppo, one token each,
    and the objects the routes' path parameters name. Rolled back at the end."""
    from agritrace.places.models import AdminUnit, ProvinceAbbreviation
    from agritrace.registry import services
    from agritrace.registry.models import Crop, Market
    from conftest import World, make_area, make_user, walk_to_issued

    with django_db_blocker.unblock(), transaction.atomic():
        province = AdminUnit.objects.get(tree="2025", level="province", name="Đắk Lắk")
        ProvinceAbbreviation.objects.create(
            province=province, abbreviation="DL", source="test value, not official"
        )
        communes = list(
            AdminUnit.objects.filter(parent=province, level="commune").order_by("code")[:3]
        )
        other_province = AdminUnit.objects.get(tree="2025", level="province", name="Đồng Tháp")
        other_commune = AdminUnit.objects.filter(parent=other_province, level="commune")
        world = World(province, communes, other_commune.order_by("code")[0])
        users = {key: world.users[key] for key in ORG_CALLERS}
        for caller in ROLE_CALLERS:
            org_key, role = caller.split(".")
            users[caller] = make_user(caller.replace(".", "_"), world.orgs[org_key], Role(role))
        tokens = {key: ApiToken.issue(user, "matrix") for key, user in users.items()}

        area, app = make_area(world)
        app = walk_to_issued(world, app)
        area.refresh_from_db()
        plot = area.plots.order_by("pk").first()
        house, _house_app = services.create_packing_house(
            world.actor("packing"),
            {
                "name": "Kho đóng gói",
                "address": "Quốc lộ 14",
                "commune": world.orgs["packing"].unit_id,
                "lon": 108.06,
                "lat": 12.68,
                "capacity_t_per_day": "40",
                "crops": [Crop.objects.get(code="durian").pk],
                "markets": [Market.objects.get(code="CN").pk],
            },
        )
        from agritrace.diary.models import Pesticide

        pesticide = Pesticide.objects.order_by("pk").first()
        values = {
            "area_id": area.pk,
            "household_id": plot.household_id,
            "plot_id": plot.pk,
            "app_id": app.pk,
            "house_id": house.pk,
            "ph_id": house.pk,
            "token_id": tokens["coop"][0].pk,
            "pesticide_id": pesticide.pk if pesticide else MISSING,
            "crop_code": "durian",
            "kind": "area",
            "code": area.code,
            "uri": "urn:agritrace:lot:VN-DLOR-9999:H-1",
            "event_id": "urn:uuid:00000000-0000-4000-8000-000000000000",
            "capture_id": MISSING,
        }
        clients = {"anonymous": Client()}
        for key, (_token, raw) in tokens.items():
            clients[key] = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        # the web pages: the same people signed in with a session
        sessions = {"anonymous": Client()}
        for key, user in users.items():
            sessions[key] = Client()
            sessions[key].force_login(user)
        yield {"clients": clients, "sessions": sessions, "values": values}
        transaction.set_rollback(True)


_PARAM = re.compile(r"\{([^}]+)\}")


def _url(path: str, values: dict) -> str:
    url = _PARAM.sub(lambda m: str(values.get(m.group(1), MISSING)), path)
    if url.endswith("/kde") or url == "/api/trace/kde":
        url += "?start=2025-01-01&end=2025-01-02&format=csv"
    if url.endswith("/lot-status"):
        url += "?uri=urn:agritrace:lot:VN-DLOR-9999:H-1"
    return url


def _call(client: Client, method: str, url: str, body) -> int:
    sid = transaction.savepoint()
    try:
        if method in ("POST", "PUT", "PATCH"):
            data = json.dumps({} if body is None else body)
            response = client.generic(method, url, data, content_type="application/json")
        else:
            response = client.generic(method, url)
        return response.status_code
    finally:
        transaction.savepoint_rollback(sid)


def _observed(matrix, method: str, path: str, row) -> dict[str, str]:
    url = _url(path, matrix["values"])
    body = row.body if row else None
    callers = row.callers() if row else CALLERS
    return {c: outcome(_call(matrix["clients"][c], method, url, body)) for c in callers}


ROUTES = sorted(all_routes())


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_route_answers_each_caller_as_the_table_says(matrix, method, path):
    row = ROWS.get((method, path))
    if RECORD:
        _record(method, path, _observed(matrix, method, path, row))
        return
    assert row is not None, "no row in the access table; add:\n" + row_hint(method, path)
    expected = row.expected()
    observed = _observed(matrix, method, path, row)
    wrong = {c: f"expected {expected[c]}, got {o}" for c, o in observed.items()}
    wrong = {c: w for c, w in wrong.items() if expected[c] != observed[c]}
    assert not wrong, f"{method} {path}: {wrong}"


def _record(method: str, path: str, observed: dict[str, str]) -> None:
    """Append the observed outcomes as a row of access_table.py (the most common outcome of the
    signed-in callers as `rest`, the others named)."""
    signed = {c: o for c, o in observed.items() if c != "anonymous"}
    counts: dict[str, int] = {}
    for o in signed.values():
        counts[o] = counts.get(o, 0) + 1
    rest = max(counts, key=lambda o: (counts[o], o == "allow"))
    parts = []
    for result, name in (("allow", "allow"), ("403", "forbid"), ("404", "missing")):
        names = [c for c, o in signed.items() if o == result and o != rest]
        if names:
            parts.append(f'{name}="{" ".join(names)}"')
    others = {o for o in signed.values()} - {"allow", "403", "404", rest}
    if others:
        parts.append(f"# ALSO {sorted(others)}: {signed}")
    if rest != "allow":
        parts.append(f'rest="{rest}"')
    if observed.get("anonymous", "401") != "401":
        parts.append(f'anonymous="{observed["anonymous"]}"')
    line = f"    ({method!r}, {path!r}): Row({', '.join(parts)}),\n"
    with open(RECORD, "a", encoding="utf-8") as out:
        out.write(line)


# ------------------------------------------------------------------ the web pages × roles
#: Which object a page's id names, by the page's path (other ids are ones that do not exist).
_PAGE_OBJECTS = {
    "areas/": "area_id",
    "diary/areas/": "area_id",
    "supervision/areas/": "area_id",
    "trace/areas/": "area_id",
    "applications/": "app_id",
    "packing-houses/": "house_id",
    "supervision/packing-houses/": "house_id",
    "households/": "household_id",
    "plots/": "plot_id",
    "diary/plots/": "plot_id",
    "trace/plots/": "plot_id",
}
PAGE_ROUTES = [r for r in page_routes() if r in PAGE_ROWS]


def _page_url(route: str, values: dict) -> str:
    url = page_url(route)
    for prefix, key in sorted(_PAGE_OBJECTS.items(), key=lambda kv: -len(kv[0])):
        if route.startswith(prefix + "<int:pk>"):
            return url.replace("/" + prefix + MISSING, f"/{prefix}{values[key]}", 1)
    return url


def page_outcome(response) -> str:
    """ "login" (sent to log in), "allow" (a page or a redirect within the site), or the status."""
    if response.status_code in (301, 302) and "/login/" in response.get("Location", ""):
        return "login"
    if response.status_code < 400:
        return "allow"
    return str(response.status_code)


def _observed_page(matrix, route: str) -> dict[str, str]:
    url = _page_url(route, matrix["values"])
    found = {}
    for caller in CALLERS:
        sid = transaction.savepoint()
        try:
            found[caller] = page_outcome(matrix["sessions"][caller].get(url))
        finally:
            transaction.savepoint_rollback(sid)
    return found


def test_every_page_has_a_row_for_the_roles():
    missing = sorted(set(page_routes()) - set(PAGE_ROWS))
    extra = sorted(set(PAGE_ROWS) - set(page_routes()))
    assert not missing, (
        "pages without a row in PAGE_ROWS of agritrace/tests/page_roles_table.py; add (run this"
        " module with AGRITRACE_ACCESS_RECORD=FILE to see what each caller gets):\n"
        + "\n".join(f'    "{r}": Row(anonymous="login"),' for r in missing)
    )
    assert not extra, f"rows of page_roles_table.py for pages that do not exist: {extra}"


@pytest.mark.django_db
@pytest.mark.parametrize("route", PAGE_ROUTES)
def test_page_answers_each_caller_as_the_table_says(matrix, route):
    row = PAGE_ROWS[route]
    observed = _observed_page(matrix, route)
    if RECORD:
        _record("PAGE", route, observed)
        return
    expected = row.expected()
    wrong = {c: f"expected {expected[c]}, got {o}" for c, o in observed.items()}
    wrong = {c: w for c, w in wrong.items() if expected[c] != observed[c]}
    assert not wrong, f"/{route}: {wrong}"
