"""Where each person lands after logging in (issue 17): the officers on the dashboard, a
household on its own diary, a laboratory on its samples; a ?next= still wins. The dashboard
has no map for those who may see no plot (a laboratory counted areas and drew none)."""

import pytest
from django.test import Client
from django.urls import reverse

from agritrace.web.menu import start_url
from conftest import make_area

pytestmark = pytest.mark.django_db


def log_in(world, key: str, next_url: str = ""):
    client = Client()
    data = {"username": f"{key}_user", "password": "pw-Secret-123"}
    url = reverse("login") + (f"?next={next_url}" if next_url else "")
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:300]
    return client, response["Location"]


@pytest.mark.parametrize(
    "key, landing",
    [
        ("ppo", "/dashboard/"),
        ("coop", "/dashboard/"),
        ("packing", "/dashboard/"),
        ("household", "/diary/"),
        ("lab", "/supervision/samples/"),
    ],
)
def test_each_person_lands_on_a_page_of_their_own(world, key, landing):
    client, location = log_in(world, key)
    assert location == landing == start_url(world.actor(key))
    page = client.get(location)
    assert page.status_code == 200
    # The start page is the first link of the menu and the brand's link.
    assert f'class="brand" href="{landing}"' in page.content.decode()


def test_a_next_address_still_wins_over_the_start_page(world):
    _client, location = log_in(world, "household", next_url="/inbox/")
    assert location == "/inbox/"


def test_the_dashboard_draws_a_map_only_for_who_may_see_plots(world):
    make_area(world, households=1)  # one area the laboratory counts in the register
    shown_to = (
        ("ppo", True),
        ("coop", True),
        ("household", True),  # its own plots
        ("lab", False),
        ("packing", False),
        ("exporter", False),
    )
    for key, shown in shown_to:
        client = Client()
        client.force_login(world.users[key])
        page = client.get(reverse("dashboard"))
        assert page.status_code == 200
        assert ('id="areas-map"' in page.content.decode()) is shown, key
