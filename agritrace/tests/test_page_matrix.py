"""The web pages in the access matrix (issue 14): every page of the URL resolver (all but
/api/ and /epcis/, which test_access_matrix.py covers) has a row in page_table.PAGES saying
what an anonymous visitor gets, and a GET of each as anonymous answers that: "login" (sent to
the login page), "allow" (a public page), or the status; a page that only takes a POST says
what the POST gets too ("405, post login"). A new page without a row fails the
suite with the row to add; a staff page that forgets its login check fails its row.

To see what the pages answer now: AGRITRACE_PAGE_RECORD=FILE pytest
agritrace/tests/test_page_matrix.py writes one observed row per page to FILE."""

import os
import re

import pytest
from django.test import Client

from agritrace.tests.page_table import PAGES

RECORD = os.environ.get("AGRITRACE_PAGE_RECORD")
MISSING = "999999"
#: Sample values of path parameters (by converter name or parameter name); ids do not exist.
SAMPLES = {"int": MISSING, "kind": "area", "fmt": "csv", "key": "none", "slug": "harvest"}
STAMP = "01/09506000134352/10/LOT1/21/1"  # the stamp page's regular expression
_CONVERTER = re.compile(r"<(?:([^:>]+):)?([^>]+)>")


def page_routes() -> list[str]:
    from django.urls import get_resolver
    from django.urls.resolvers import URLResolver

    def walk(patterns, prefix: str):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    return sorted(
        r for r in walk(get_resolver().url_patterns, "") if not r.startswith(("api/", "epcis/"))
    )


def page_url(route: str) -> str:
    if route.startswith("^"):
        return "/" + STAMP
    return "/" + _CONVERTER.sub(
        lambda m: SAMPLES.get(m.group(2)) or SAMPLES.get(m.group(1) or "str", "none"), route
    )


def outcome(response) -> str:
    if response.status_code in (301, 302) and "/login/" in response.get("Location", ""):
        return "login"
    if 200 <= response.status_code < 300:
        return "allow"
    return str(response.status_code)


def test_every_page_has_a_row():
    routes = set(page_routes())
    missing = sorted(routes - set(PAGES))
    extra = sorted(set(PAGES) - routes)
    assert not missing, (
        "pages without a row in PAGES of agritrace/tests/page_table.py; add:\n"
        + "\n".join(f'    "{r}": "login",  # what an anonymous visitor gets' for r in missing)
    )
    assert not extra, f"rows of page_table.py for pages that do not exist: {extra}"


def test_the_sample_urls_resolve_to_their_page():
    from django.urls import resolve

    for route in page_routes():
        match = resolve(page_url(route))
        assert match.route == route or route.startswith("^"), (route, match.route)


ROUTES = page_routes()


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES)
def test_an_anonymous_visitor_gets_what_the_table_says(route):
    client = Client()
    observed = outcome(client.get(page_url(route)))
    if observed == "405":  # a page that only takes a POST: what a POST gets
        observed = "405, post " + outcome(client.post(page_url(route)))
    if RECORD:
        with open(RECORD, "a") as out:
            out.write(f'    "{route}": "{observed}",\n')
        return
    assert route in PAGES, f'no row in page_table.py; add "{route}": "{observed}"'
    assert observed == PAGES[route], f"/{route}: expected {PAGES[route]}, got {observed}"
