"""Each demo role's menu (issue 17, item 9): the pages it uses, every link answering 200, the
pages it may not use left out; built once for the module on the demo province."""

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.utils import translation

from agritrace.accounts.access import Actor
from agritrace.demo import DEMO_USERNAMES, build_demo
from agritrace.web.menu import menu_for, menu_keys

AUTHORITY = [
    "dashboard", "areas", "packing_houses", "applications", "authorisations", "households",
    "organisations", "diaries", "supervision", "misuse", "reports", "trace", "products", "stamps",
    "eudr", "inbox",
]  # fmt: skip
OFFICER = [*AUTHORITY[:4], "code_import", *AUTHORITY[4:]]
COMMUNE = [k for k in AUTHORITY if k not in ("stamps", "products", "eudr")]
COOP = [k for k in COMMUNE if k not in ("misuse", "reports")]
FIRM = [
    "dashboard", "areas", "packing_houses", "applications", "authorisations", "supervision",
    "trace", "stamps", "inbox",
]  # fmt: skip
EXPORTER = [*FIRM[:-1], "eudr", "inbox"]

#: What each demo login's menu offers, in order (the test that no page is missing).
EXPECTED = {
    "ministry": AUTHORITY,
    "officer": OFFICER,
    "inspector": OFFICER,
    "viewer": AUTHORITY,  # read only: no import of codes
    "commune": COMMUNE,
    "commune2": COMMUNE,
    "commune3": COMMUNE,
    "coop": COOP,
    "coop2": COOP,
    "coop3": COOP,
    "coop4": COOP,
    "household": ["my_diary", "my_plots", "inbox"],
    "household2": ["my_diary", "my_plots", "inbox"],
    "packing": FIRM,
    "packing2": FIRM,
    "packing3": FIRM,
    "exporter": EXPORTER,
    "exporter2": EXPORTER,
    "lab": ["samples", "inbox"],
    # Lai Châu's chain (demo_laichau): its plant-protection office, cooperative, processor
    "laichau_officer": OFFICER,
    "laichau_coop": COOP,
    "laichau_processor": [
        "dashboard",
        "areas",
        "packing_houses",
        "applications",
        "trace",
        "products",
        "stamps",
        "inbox",
    ],  # fmt: skip
}

#: Pages once offered to everybody, and who may not use them (403 before and after).
REFUSED = {
    "/households/": ["packing", "exporter", "lab"],
    "/misuse/": ["coop", "household", "packing", "exporter", "lab"],
    "/reports/": ["coop", "household", "packing", "exporter", "lab"],
    "/eudr/": ["commune", "coop", "household", "packing", "lab"],
    "/codes/import/": ["ministry", "viewer", "commune", "coop", "packing", "lab"],
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), translation.override("en"), transaction.atomic():
        build_demo(seed=2026)
        yield
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def _user(username):
    return get_user_model().objects.get(username=username)


def test_every_demo_login_is_in_the_table():
    assert sorted(EXPECTED) == sorted(DEMO_USERNAMES)


@pytest.mark.parametrize("username", DEMO_USERNAMES)
def test_each_role_is_offered_its_pages(demo, username):
    assert menu_keys(Actor.of(_user(username))) == EXPECTED[username]


@pytest.mark.parametrize("username", DEMO_USERNAMES)
def test_every_menu_link_answers_200_and_is_marked_current(demo, username, settings):
    settings.LANGUAGE_CODE = "vi"
    user = _user(username)
    client = Client()
    client.force_login(user)
    links = menu_for(Actor.of(user))
    assert links
    for link in links:
        r = client.get(link.url, follow=False)
        assert r.status_code == 200, (username, link.key, link.url, r.status_code)
        html = r.content.decode()
        assert f'href="{link.url}" aria-current="page"' in html, (username, link.key)
        # the layout's menu is this role's: nothing it may not use
        shown = {x.url for x in links}
        for other in {"/misuse/", "/reports/", "/households/", "/codes/import/"} - shown:
            assert f'href="{other}"' not in html.split('id="site-nav"')[1].split("</nav>")[0]


@pytest.mark.parametrize("url", sorted(REFUSED))
def test_pages_left_out_of_a_menu_are_refused_in_the_layout(demo, url, settings):
    settings.LANGUAGE_CODE = "vi"
    for username in REFUSED[url]:
        user = _user(username)
        assert url not in {link.url for link in menu_for(Actor.of(user))}
        client = Client()
        client.force_login(user)
        r = client.get(url)
        assert r.status_code == 403, (username, url)
        html = r.content.decode()
        assert 'id="site-nav"' in html  # the site's layout, with the role's menu
        assert "403 Forbidden" not in html
        first = menu_for(Actor.of(user))[0].url
        assert f'class="btn btn-primary" href="{first}"' in html  # a way back


def test_the_demo_login_list_names_households_and_the_ministry_in_vietnamese(demo):
    """Issue 14: the log-in list called households "Staff" (Nhân viên), and the ministry's
    name carried English in parentheses."""
    from agritrace.accounts.models import Organisation, OrgKind
    from agritrace.demo import demo_logins

    with translation.override("en"):
        roles = {username: role for username, _org, role in demo_logins()}
    assert roles["household"] == roles["household2"] == "Household"
    assert roles["lab"] == "Staff" and roles["officer"] == "Officer"
    ministry = Organisation.objects.get(kind=OrgKind.MINISTRY)
    assert ministry.name == "Cục Bảo vệ thực vật"


def test_demo_people_are_named_family_name_first(demo):
    from agritrace.accounts.names import display_name

    assert display_name(_user("inspector")) == "Lê Văn Dũng"
    assert display_name(_user("commune")) == "Y Kông Adrơng"


def test_the_public_is_offered_no_profile_link(demo):
    """A visitor who has not logged in was shown "Your profile" (an empty actor box) beside
    the language switch; it led to the log-in page."""
    html = Client().get("/codes/").content.decode()
    assert 'href="/accounts/profile/"' not in html and 'class="actor"' not in html
    c = Client()
    c.force_login(_user("officer"))
    assert 'href="/accounts/profile/"' in c.get("/codes/").content.decode()
