"""The machinery of the endpoint × role matrix (test_access_matrix.py): the callers, the routes
found in the OpenAPI schemas and the URL resolver, a request's outcome, and the table's rows
read back as one expected outcome per caller. The rows themselves are in access_table.py."""

import re
from dataclasses import dataclass, field

#: The callers, in the order a row lists them. Each is a user with an API token: the world of
#: conftest.py (one officer per kind of organisation; the plant-protection office's is an
#: inspector), the organisations' second ones (coop_b, commune_b, other_ppo, other_coop), and
#: every role of two organisations (the cooperative "coop" and the office "ppo").
ORG_CALLERS = (
    "ministry",
    "province",
    "ppo",
    "commune",
    "commune_b",
    "coop",
    "coop_b",
    "household",
    "packing",
    "exporter",
    "lab",
    "other_ppo",
    "other_coop",
)
ROLE_CALLERS = (
    "coop.manager",
    "coop.inspector",
    "coop.staff",
    "coop.viewer",
    "ppo.manager",
    "ppo.officer",
    "ppo.staff",
    "ppo.viewer",
)
CALLERS = ("anonymous", *ORG_CALLERS, *ROLE_CALLERS)

#: What a row may say of a caller. "allow": the request got past authentication and access
#: (a 2xx, or a 400/409/415/422 about the data sent); "401": not signed in; "403": the role
#: may not; "404": out of the caller's scope (or no such object).
OUTCOMES = ("allow", "401", "403", "404")
_DATA_ERRORS = {400, 409, 410, 413, 415, 422}


def outcome(status: int) -> str:
    if status < 400 or status in _DATA_ERRORS:
        return "allow"
    return str(status)


@dataclass(frozen=True)
class Row:
    """One route's expected outcome per caller: the callers named in allow / forbid / missing
    (space-separated, `coop.*` meaning every role caller of coop), everyone signed in who is
    not named gets `rest`, and anonymous gets `anonymous`. `body`: the JSON sent with a
    POST/PUT/PATCH (default `{}`; give the required fields, so that the request reaches the
    access rules rather than stopping at a 422 of the schema). `only`: call just these
    callers (for routes that are slow and the same for all, such as the OpenAPI documents)."""

    allow: str = ""
    forbid: str = ""
    missing: str = ""
    rest: str = "allow"
    anonymous: str = "401"
    body: dict | None = field(default=None, hash=False, compare=False)
    only: str = ""

    def callers(self) -> tuple[str, ...]:
        if not self.only:
            return CALLERS
        return tuple(c for name in self.only.split() for c in _expand(name))

    def expected(self) -> dict[str, str]:
        named: dict[str, str] = {}
        for result, names in (("allow", self.allow), ("403", self.forbid), ("404", self.missing)):
            for name in names.split():
                for caller in _expand(name):
                    named[caller] = result
        found = {c: named.get(c, self.rest) for c in CALLERS if c != "anonymous"}
        return {"anonymous": self.anonymous, **found}


def _expand(name: str) -> list[str]:
    if name.endswith(".*"):
        org = name[:-2]
        return [c for c in ROLE_CALLERS if c.startswith(org + ".")]
    if name not in CALLERS:
        raise ValueError(f"unknown caller {name!r} in access_table.py (callers: {CALLERS})")
    return [name]


# ------------------------------------------------------------------ routes

_CONVERTER = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def schema_routes() -> set[tuple[str, str]]:
    """(METHOD, path) of every operation of /api/openapi.json and /epcis/openapi.json."""
    from agritrace.api import api
    from agritrace.trace.urls_epcis import epcis_api

    found = set()
    for one in (api, epcis_api):
        for path, operations in one.get_openapi_schema()["paths"].items():
            for method in operations:
                found.add((method.upper(), path))
    return found


def resolver_paths() -> set[str]:
    """Every path of the URL resolver under /api/ and /epcis/, as /api/areas/{area_id}."""
    from django.urls import get_resolver
    from django.urls.resolvers import URLResolver

    def walk(patterns, prefix: str):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    paths = set()
    for route in walk(get_resolver().url_patterns, ""):
        if route.startswith(("api/", "epcis/")):
            paths.add("/" + _CONVERTER.sub(r"{\1}", route))
    return paths


def all_routes() -> set[tuple[str, str]]:
    """The schemas' operations, and a GET for each resolver path no schema lists (the docs)."""
    routes = schema_routes()
    listed = {path for _method, path in routes}
    routes |= {("GET", path) for path in resolver_paths() - listed}
    return routes


def row_hint(method: str, path: str) -> str:
    return (
        f"    ({method!r}, {path!r}): Row(),  # say who gets what: allow= forbid= missing= rest=\n"
        "in ROWS of agritrace/tests/access_table.py (see its docstring)"
    )
