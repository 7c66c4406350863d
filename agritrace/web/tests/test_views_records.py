"""The records pages: households, an area's households and plots, the inbox, API tokens and
the public code list. Each page: it works for the right role, it refuses the wrong one (403),
out-of-scope objects do not exist (404), and bad input is shown beside its field with
nothing saved."""

import csv
import io
import json
import os
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from agritrace.accounts import access
from agritrace.accounts.models import ApiToken, OrgKind, Role
from agritrace.notifications.models import Notification
from agritrace.registry import services
from agritrace.registry.models import Household, Plot, PlotOverlap
from conftest import make_area, make_user, square, walk_to_issued

LON, LAT = 108.05, 12.67
VOID_TAGS = {"input", "br", "img", "hr", "meta", "link", "area", "base", "col", "source", "wbr"}


# ------------------------------------------------------------------ helpers


class _FieldErrors(HTMLParser):
    """Texts of the .field-error elements inside the element with data-field=name."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.depth = 0  # > 0 while inside the field's block
        self.error_depth = 0  # > 0 while inside one .field-error
        self.found = False
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in VOID_TAGS:
            return
        if self.depth:
            self.depth += 1
            if self.error_depth:
                self.error_depth += 1
            elif "field-error" in (attrs.get("class") or "").split():
                self.error_depth = 1
                self.errors.append("")
        elif attrs.get("data-field") == self.name:
            self.depth = 1
            self.found = True

    def handle_endtag(self, tag):
        if tag in VOID_TAGS or not self.depth:
            return
        self.depth -= 1
        if self.error_depth:
            self.error_depth -= 1

    def handle_data(self, data):
        if self.error_depth:
            self.errors[-1] += data


def field_errors(response, name: str) -> list[str]:
    parser = _FieldErrors(name)
    parser.feed(response.content.decode())
    assert parser.found, f"no field {name!r} on the page"
    return [e.strip() for e in parser.errors]


def client_for(world, key: str) -> Client:
    client = Client()
    client.force_login(world.users[key])
    return client


def save_page(name: str, response) -> None:
    """Keep a rendered page for review when AGRITRACE_PAGES_DIR is set."""
    folder = os.environ.get("AGRITRACE_PAGES_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        Path(folder, f"{name}.html").write_bytes(response.content)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def area(world, durian):
    """A draft area of coop with two households, one plot each."""
    return make_area(world)[0]


@pytest.fixture
def household(area):
    return area.households.order_by("pk").first()


def household_data(world, **overrides) -> dict:
    data = {
        "name": "Trần Thị Bình",
        "national_id": "079123456789",
        "phone": "0912 345 678",
        "address": "Thôn 3",
        "commune": world.orgs["coop"].unit_id,
    }
    data.update(overrides)
    return data


# ------------------------------------------------------------------ household list


@pytest.mark.django_db
def test_household_list_shows_the_coops_households_with_national_id(world, area, household):
    make_area(world, key="coop_b", lon=108.1)
    response = client_for(world, "coop").get(reverse("household-list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert household.name in html
    assert household.national_id in html
    assert area.name in html  # its areas column
    assert "Hộ 0 108.1" not in html  # coop_b's household
    save_page("household_list", response)


@pytest.mark.django_db
def test_household_list_hides_national_id_without_that_permission(
    world, area, household, monkeypatch
):
    monkeypatch.setitem(
        access.PERMISSIONS,
        "see_personal_data",
        access.PERMISSIONS["see_personal_data"] - {OrgKind.REPRESENTATIVE},
    )
    response = client_for(world, "coop").get(reverse("household-list"))
    assert response.status_code == 200
    assert household.name in response.content.decode()
    assert household.national_id not in response.content.decode()
    assert "National ID" not in response.content.decode()


@pytest.mark.django_db
def test_household_list_searches_name_and_phone(world, area):
    actor = world.actor("coop")
    services.create_household(
        actor, household_data(world, name="Lê Văn Cường", phone="0987654321", national_id="")
    )
    client = client_for(world, "coop")
    by_name = client.get(reverse("household-list"), {"q": "cường"}).content.decode()
    assert "Lê Văn Cường" in by_name and "Hộ 0" not in by_name
    by_phone = client.get(reverse("household-list"), {"q": "0987 654"}).content.decode()
    assert "Lê Văn Cường" in by_phone and "Hộ 0" not in by_phone
    none = client.get(reverse("household-list"), {"q": "zzz"}).content.decode()
    assert "No household matches this search." in none


@pytest.mark.django_db
def test_household_list_htmx_returns_the_table_only(world, area, household):
    response = client_for(world, "coop").get(
        reverse("household-list"), {"q": household.name}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and household.name in html


@pytest.mark.django_db
def test_province_officers_see_their_provinces_households_only(world, area, household):
    assert (
        household.name in client_for(world, "ppo").get(reverse("household-list")).content.decode()
    )
    other = client_for(world, "other_ppo").get(reverse("household-list"))
    assert other.status_code == 200
    assert household.name not in other.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["exporter", "packing", "lab"])
def test_household_list_refuses_organisations_without_households(world, key):
    assert client_for(world, key).get(reverse("household-list")).status_code == 403


@pytest.mark.django_db
def test_household_pages_need_a_login(world, household):
    for url in (reverse("household-list"), reverse("household-detail", args=[household.pk])):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# ------------------------------------------------------------------ household detail


@pytest.mark.django_db
def test_household_detail_shows_plots_on_a_map_and_areas(world, area, household):
    response = client_for(world, "coop").get(reverse("household-detail", args=[household.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert household.national_id in html
    assert area.name in html
    assert 'id="plots-data"' in html and "AgriMap.addGeoJSON" in html
    data = response.context["plots_geojson"]
    assert len(data["features"]) == 1
    assert data["features"][0]["geometry"]["type"] == "Polygon"
    save_page("household_detail", response)


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["coop_b", "other_ppo", "commune_b", "exporter", "packing"])
def test_household_detail_is_404_out_of_scope(world, household, key):
    client = client_for(world, key)
    assert client.get(reverse("household-detail", args=[household.pk])).status_code == 404
    assert client.get(reverse("household-edit", args=[household.pk])).status_code == 404


@pytest.mark.django_db
def test_a_household_sees_itself_but_cannot_edit(world, household):
    Household.objects.filter(pk=household.pk).update(organisation=world.orgs["household"])
    client = client_for(world, "household")
    assert client.get(reverse("household-detail", args=[household.pk])).status_code == 200
    assert client.get(reverse("household-edit", args=[household.pk])).status_code == 403
    response = client.post(reverse("household-edit", args=[household.pk]), {"name": "X"})
    assert response.status_code == 403
    household.refresh_from_db()
    assert household.name != "X"


# ------------------------------------------------------------------ household create / edit


@pytest.mark.django_db
def test_coop_registers_a_household(world):
    client = client_for(world, "coop")
    assert client.get(reverse("household-create")).status_code == 200
    response = client.post(reverse("household-create"), household_data(world))
    assert response.status_code == 302
    household = Household.objects.get(national_id="079123456789")
    assert response["Location"] == reverse("household-detail", args=[household.pk])
    assert household.representative == world.orgs["coop"]
    assert household.phone == "0912345678"
    assert household.commune_id == world.orgs["coop"].unit_id


@pytest.mark.django_db
def test_officer_registers_a_household_for_a_representative(world):
    client = client_for(world, "ppo")
    page = client.get(reverse("household-create"))
    assert world.orgs["coop"].name in page.content.decode()
    assert world.orgs["other_coop"].name not in page.content.decode()
    response = client.post(
        reverse("household-create"),
        household_data(world, representative=world.orgs["coop_b"].pk),
    )
    assert response.status_code == 302
    assert Household.objects.get().representative == world.orgs["coop_b"]


@pytest.mark.django_db
def test_officer_must_name_the_representative(world):
    response = client_for(world, "ppo").post(reverse("household-create"), household_data(world))
    assert response.status_code == 200
    assert field_errors(response, "representative") == ["Choose an area representative."]
    assert Household.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value, message",
    [
        ("name", "", "The name of the head of household is required."),
        ("name", "   ", "The name of the head of household is required."),
        ("phone", "12345", "A phone number looks like 0912345678 or +84912345678."),
        ("national_id", "12AB", "A national ID number has 12 digits (or 9 on old cards)."),
    ],
)
def test_bad_household_is_shown_beside_the_field(world, field, value, message):
    before = Household.objects.count()
    response = client_for(world, "coop").post(
        reverse("household-create"), household_data(world, **{field: value})
    )
    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert Household.objects.count() == before


@pytest.mark.django_db
def test_several_household_errors_are_shown_together(world):
    response = client_for(world, "coop").post(
        reverse("household-create"), household_data(world, name="", phone="x")
    )
    assert field_errors(response, "name")
    assert field_errors(response, "phone")
    assert field_errors(response, "national_id") == []
    assert Household.objects.count() == 0
    save_page("household_form_errors", response)


@pytest.mark.django_db
def test_duplicate_national_id_is_refused_beside_the_field(world, household):
    before = Household.objects.count()
    response = client_for(world, "coop").post(
        reverse("household-create"), household_data(world, national_id=household.national_id)
    )
    assert response.status_code == 200
    assert field_errors(response, "national_id") == [
        "Another household is registered with this ID number."
    ]
    assert Household.objects.count() == before


@pytest.mark.django_db
def test_commune_outside_the_province_is_refused(world):
    response = client_for(world, "coop").post(
        reverse("household-create"), household_data(world, commune=world.other_commune.pk)
    )
    assert response.status_code == 200
    assert field_errors(response, "commune")
    assert Household.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["household", "exporter", "commune", "ministry"])
def test_roles_that_do_not_keep_the_registry_cannot_register(world, key):
    client = client_for(world, key)
    assert client.get(reverse("household-create")).status_code == 403
    assert client.post(reverse("household-create"), household_data(world)).status_code == 403
    assert Household.objects.count() == 0


@pytest.mark.django_db
def test_a_viewer_cannot_register(world):
    client = Client()
    client.force_login(make_user("coop_viewer", world.orgs["coop"], Role.VIEWER))
    assert client.post(reverse("household-create"), household_data(world)).status_code == 403


@pytest.mark.django_db
def test_coop_edits_a_household(world, household):
    client = client_for(world, "coop")
    page = client.get(reverse("household-edit", args=[household.pk]))
    assert page.status_code == 200
    assert household.national_id in page.content.decode()
    response = client.post(
        reverse("household-edit", args=[household.pk]),
        {"name": "Tên mới", "national_id": household.national_id, "phone": "+84912345678"},
    )
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.name == "Tên mới" and household.phone == "+84912345678"


@pytest.mark.django_db
def test_edit_to_a_duplicate_national_id_saves_nothing(world, area):
    first, second = area.households.order_by("pk")
    response = client_for(world, "coop").post(
        reverse("household-edit", args=[second.pk]),
        {"name": "Tên mới", "national_id": first.national_id},
    )
    assert response.status_code == 200
    assert field_errors(response, "national_id") == [
        "Another household is registered with this ID number."
    ]
    second.refresh_from_db()
    assert second.name != "Tên mới"


# ------------------------------------------------------------------ an area's households


@pytest.mark.django_db
def test_area_households_lists_the_representatives_households(world, area):
    make_area(world, key="coop_b", lon=108.1)
    loose = services.create_household(
        world.actor("coop"), household_data(world, name="Hộ mới", national_id="")
    )
    response = client_for(world, "coop").get(reverse("area-households", args=[area.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="checkbox"' in html
    assert "Hộ mới" in html and "Hộ 0 108.1" not in html
    checked = {h.pk for h in response.context["form"].initial["households"]}
    assert checked == set(area.households.values_list("pk", flat=True))
    assert loose.pk not in checked
    save_page("area_households", response)


@pytest.mark.django_db
def test_area_households_post_sets_the_members(world, area, household):
    loose = services.create_household(
        world.actor("coop"), household_data(world, name="Hộ mới", national_id="")
    )
    response = client_for(world, "coop").post(
        reverse("area-households", args=[area.pk]), {"households": [household.pk, loose.pk]}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("area-detail", args=[area.pk])
    assert set(area.households.values_list("pk", flat=True)) == {household.pk, loose.pk}


@pytest.mark.django_db
def test_area_households_refuses_another_representatives_household(world, area):
    other_area, _app = make_area(world, key="coop_b", lon=108.1)
    stranger = other_area.households.first()
    before = set(area.households.values_list("pk", flat=True))
    response = client_for(world, "ppo").post(
        reverse("area-households", args=[area.pk]), {"households": [stranger.pk]}
    )
    assert response.status_code == 200
    assert field_errors(response, "households")
    assert set(area.households.values_list("pk", flat=True)) == before


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["coop_b", "other_ppo", "other_coop"])
def test_area_households_is_404_out_of_scope(world, area, key):
    client = client_for(world, key)
    assert client.get(reverse("area-households", args=[area.pk])).status_code == 404
    assert client.post(reverse("area-households", args=[area.pk]), {}).status_code == 404


@pytest.mark.django_db
def test_area_households_is_403_for_a_commune(world, area):
    assert (
        client_for(world, "commune").get(reverse("area-households", args=[area.pk])).status_code
        == 403
    )


# ------------------------------------------------------------------ plots


def plot_data(household, geometry, **overrides) -> dict:
    data = {
        "household": household.pk,
        "label": "T9",
        "crop": "",
        "planting_year": "2019",
        "geometry": geometry if isinstance(geometry, str) else json.dumps(geometry),
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_plot_form_renders_a_draw_editor(world, area):
    response = client_for(world, "coop").get(reverse("plot-create", args=[area.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="geometry"' in html and 'id="id_geometry"' in html
    assert "AgriMap.drawEditor(map, 'id_geometry'" in html
    assert 'type="file" name="geometry_file"' in html
    assert 'enctype="multipart/form-data"' in html
    assert len(response.context["other_plots_geojson"]["features"]) == 2
    save_page("plot_create", response)


@pytest.mark.django_db
def test_a_good_plot_is_saved_and_measured(world, area, household):
    before = Plot.objects.count()
    response = client_for(world, "coop").post(
        reverse("plot-create", args=[area.pk]),
        plot_data(household, square(LON, LAT + 0.01, 100)),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("area-detail", args=[area.pk])
    assert Plot.objects.count() == before + 1
    plot = Plot.objects.get(label="T9")
    assert plot.area == area and plot.household == household
    assert plot.crop == area.crop  # left empty: the area's crop
    assert plot.planting_year == 2019
    assert plot.area_ha == pytest.approx(1.0, rel=0.01)
    assert not plot.overlaps.exists()
    assert any(f"{plot.area_ha:.2f} ha measured" in m for m in messages_of(response))


@pytest.mark.django_db
def test_a_plot_over_another_households_plot_is_flagged(world, area):
    first, second = area.households.order_by("pk")
    # The first household's plot P0 is square(LON, LAT); give the second one on top of it.
    response = client_for(world, "coop").post(
        reverse("plot-create", args=[area.pk]),
        plot_data(second, square(LON + 0.0005, LAT, 100), label="T10"),
    )
    assert response.status_code == 302
    plot = Plot.objects.get(label="T10")
    overlap = PlotOverlap.objects.get(plot=plot)
    assert overlap.other.household == first
    assert overlap.overlap_m2 > 4000
    assert any("overlaps" in m and "P0" in m for m in messages_of(response))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "geometry, message",
    [
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[LON, LAT], [LON + 0.001, LAT + 0.001], [LON + 0.001, LAT], [LON, LAT + 0.001]]
                    + [[LON, LAT]]
                ],
            },
            "Self-intersection at 108.0505, 12.6705",
        ),
        (square(100.5, 13.75, 100), "outside Vietnam"),
        ('{"type": "Polygon", "coordinates": [[[108.05, 12.67]', "not valid JSON"),
        ("", "The boundary is empty"),
        ({"type": "Point", "coordinates": [LON, LAT]}, "Only Polygon or MultiPolygon"),
    ],
    ids=["self-intersection", "outside-vietnam", "invalid-json", "empty", "point"],
)
def test_a_bad_boundary_is_shown_beside_the_geometry(world, area, household, geometry, message):
    before = Plot.objects.count()
    response = client_for(world, "coop").post(
        reverse("plot-create", args=[area.pk]), plot_data(household, geometry)
    )
    assert response.status_code == 200
    errors = field_errors(response, "geometry")
    assert len(errors) == 1 and message in errors[0]
    assert Plot.objects.count() == before
    # The boundary is kept in the textarea so it can be corrected.
    submitted = geometry if isinstance(geometry, str) else json.dumps(geometry)
    assert response.context["form"]["geometry"].value() == submitted
    if message.startswith("Self"):
        save_page("plot_create_error", response)


@pytest.mark.django_db
def test_plot_errors_of_several_fields_are_shown_together(world, area, household):
    response = client_for(world, "coop").post(
        reverse("plot-create", args=[area.pk]),
        plot_data(household, square(LON, LAT + 0.01), label="", planting_year="abc"),
    )
    assert response.status_code == 200
    assert field_errors(response, "label") == ["Give the plot a label (its number on the map)."]
    assert field_errors(response, "planting_year") == [
        "The planting year is a year between 1900 and this year."
    ]
    assert Plot.objects.filter(area=area).count() == 2


@pytest.mark.django_db
def test_a_plot_cannot_go_to_another_representatives_household(world, area):
    other_area, _app = make_area(world, key="coop_b", lon=108.1)
    stranger = other_area.households.first()
    before = Plot.objects.count()
    response = client_for(world, "ppo").post(
        reverse("plot-create", args=[area.pk]), plot_data(stranger, square(LON, LAT + 0.01))
    )
    assert response.status_code == 200
    assert field_errors(response, "household")
    assert Plot.objects.count() == before


@pytest.mark.django_db
def test_a_plot_boundary_can_be_uploaded_as_a_file(world, area, household):
    feature = {"type": "Feature", "properties": {}, "geometry": square(LON, LAT + 0.01, 100)}
    upload = SimpleUploadedFile(
        "plot.geojson", json.dumps(feature).encode(), content_type="application/geo+json"
    )
    response = client_for(world, "coop").post(
        reverse("plot-create", args=[area.pk]),
        {**plot_data(household, ""), "geometry_file": upload},
    )
    assert response.status_code == 302
    assert Plot.objects.get(label="T9").area_ha == pytest.approx(1.0, rel=0.01)


@pytest.mark.django_db
def test_a_bad_uploaded_boundary_is_shown_and_kept(world, area, household):
    bad = square(100.5, 13.75, 100)
    upload = SimpleUploadedFile("plot.geojson", json.dumps(bad).encode())
    response = client_for(world, "coop").post(
        reverse("plot-create", args=[area.pk]),
        {**plot_data(household, ""), "geometry_file": upload},
    )
    assert response.status_code == 200
    assert "outside Vietnam" in field_errors(response, "geometry")[0]
    assert json.loads(response.context["form"]["geometry"].value()) == bad
    assert not Plot.objects.filter(label="T9").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, content, message",
    [
        ("plot.kml", b"<kml/>", "Upload a .geojson"),
        ("plot.geojson", b"\xff\xfe\x00bad", "not UTF-8"),
    ],
)
def test_a_wrong_file_is_refused_beside_the_file_field(
    world, area, household, name, content, message
):
    response = client_for(world, "coop").post(
        reverse("plot-create", args=[area.pk]),
        {**plot_data(household, ""), "geometry_file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 200
    assert message in field_errors(response, "geometry_file")[0]
    assert not Plot.objects.filter(label="T9").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["coop_b", "other_ppo", "exporter"])
def test_plot_pages_are_404_out_of_scope(world, area, household, key):
    plot = household.plots.first()
    client = client_for(world, key)
    assert client.get(reverse("plot-create", args=[area.pk])).status_code == 404
    assert client.get(reverse("plot-edit", args=[plot.pk])).status_code == 404
    response = client.post(
        reverse("plot-create", args=[area.pk]), plot_data(household, square(LON, LAT + 0.01))
    )
    assert response.status_code == 404
    assert not Plot.objects.filter(label="T9").exists()


@pytest.mark.django_db
def test_plot_pages_refuse_a_commune(world, area, household):
    plot = household.plots.first()
    client = client_for(world, "commune")
    assert client.get(reverse("plot-create", args=[area.pk])).status_code == 403
    assert client.get(reverse("plot-edit", args=[plot.pk])).status_code == 403


@pytest.mark.django_db
def test_plot_edit_shows_and_changes_the_plot(world, area, household):
    plot = household.plots.first()
    client = client_for(world, "coop")
    page = client.get(reverse("plot-edit", args=[plot.pk]))
    assert page.status_code == 200
    assert json.loads(page.context["form"]["geometry"].value()) == plot.geometry
    response = client.post(
        reverse("plot-edit", args=[plot.pk]),
        plot_data(household, square(LON, LAT, 200), label="P0-new"),
    )
    assert response.status_code == 302
    plot.refresh_from_db()
    assert plot.label == "P0-new" and plot.area == area
    assert plot.area_ha == pytest.approx(4.0, rel=0.01)
    save_page("plot_edit", page)


@pytest.mark.django_db
def test_plot_edit_with_a_bad_boundary_changes_nothing(world, household):
    plot = household.plots.first()
    before = plot.geometry
    response = client_for(world, "coop").post(
        reverse("plot-edit", args=[plot.pk]), plot_data(household, "not json", label="Z")
    )
    assert response.status_code == 200
    assert "not valid JSON" in field_errors(response, "geometry")[0]
    plot.refresh_from_db()
    assert plot.geometry == before and plot.label != "Z"


@pytest.mark.django_db
def test_plot_pages_refuse_other_methods(world, area):
    response = client_for(world, "coop").put(reverse("plot-create", args=[area.pk]))
    assert response.status_code == 405


# ------------------------------------------------------------------ inbox


def note(world, key="coop", title="Hồ sơ được tiếp nhận", url="/applications/1/"):
    return Notification.objects.create(
        organisation=world.orgs[key], title=title, body="Chi tiết", url=url
    )


@pytest.mark.django_db
def test_inbox_lists_the_organisations_messages_newest_first(world):
    old = note(world, title="Old message")
    new = note(world, title="New message")
    note(world, key="coop_b", title="Someone else's")
    Notification.objects.filter(pk=old.pk).update(read_at=new.created_at)
    response = client_for(world, "coop").get(reverse("inbox"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("New message") < html.index("Old message")
    assert "Someone else" not in html
    assert f'class="inbox-item unread" id="note-{new.pk}"' in html
    assert f'class="inbox-item" id="note-{old.pk}"' in html
    save_page("inbox", response)


@pytest.mark.django_db
def test_inbox_paginates(world):
    for i in range(30):
        note(world, title=f"Message {i:02d}")
    client = client_for(world, "coop")
    first = client.get(reverse("inbox")).content.decode()
    second = client.get(reverse("inbox"), {"page": 2}).content.decode()
    assert "Message 29" in first and "Message 00" not in first
    assert "Message 00" in second and "Message 29" not in second


@pytest.mark.django_db
def test_inbox_read_marks_read_and_opens_the_url(world):
    message = note(world)
    response = client_for(world, "coop").post(
        reverse("inbox-read", args=[message.pk]), {"open": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/applications/1/"
    message.refresh_from_db()
    assert message.read_at is not None
    assert message.read_by == world.users["coop"]


@pytest.mark.django_db
def test_inbox_read_goes_back_without_open(world):
    message = note(world)
    response = client_for(world, "coop").post(reverse("inbox-read", args=[message.pk]))
    assert response["Location"] == reverse("inbox")
    message2 = note(world)
    response = client_for(world, "coop").post(
        reverse("inbox-read", args=[message2.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("inbox")


@pytest.mark.django_db
def test_inbox_read_never_redirects_off_site(world):
    message = note(world, url="https://evil.example/phish")
    response = client_for(world, "coop").post(
        reverse("inbox-read", args=[message.pk]), {"open": "1"}
    )
    assert response["Location"] == reverse("inbox")


@pytest.mark.django_db
def test_inbox_read_with_htmx_returns_the_item(world):
    message = note(world)
    response = client_for(world, "coop").post(
        reverse("inbox-read", args=[message.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<li") and "<html" not in html
    assert "unread" not in html.split(">", 1)[0]
    assert "Read by coop_user" in html


@pytest.mark.django_db
def test_inbox_read_keeps_the_first_reader(world):
    message = note(world)
    other = make_user("coop_2", world.orgs["coop"])
    client_for(world, "coop").post(reverse("inbox-read", args=[message.pk]))
    first_read = Notification.objects.get(pk=message.pk).read_at
    client = Client()
    client.force_login(other)
    client.post(reverse("inbox-read", args=[message.pk]))
    message.refresh_from_db()
    assert message.read_by == world.users["coop"] and message.read_at == first_read


@pytest.mark.django_db
def test_inbox_read_refuses_others_and_get(world):
    message = note(world)
    assert (
        client_for(world, "coop_b").post(reverse("inbox-read", args=[message.pk])).status_code
        == 404
    )
    assert (
        client_for(world, "coop").get(reverse("inbox-read", args=[message.pk])).status_code == 405
    )
    message.refresh_from_db()
    assert message.read_at is None


# ------------------------------------------------------------------ API tokens


@pytest.mark.django_db
def test_token_create_shows_the_raw_token_once(world):
    client = client_for(world, "coop")
    response = client.post(reverse("tokens"), {"action": "create", "name": "Máy quét 1"})
    assert response.status_code == 200
    raw = response.context["issued"]["raw"]
    assert raw.startswith("agt_") and raw in response.content.decode()
    assert "shown only once" in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.find_active(raw)
    assert token.organisation == world.orgs["coop"] and token.name == "Máy quét 1"
    save_page("tokens_created", response)
    again = client.get(reverse("tokens"))
    assert "Máy quét 1" in again.content.decode()
    assert token.prefix in again.content.decode()
    assert raw not in again.content.decode()
    save_page("tokens", again)


@pytest.mark.django_db
def test_token_list_is_the_organisations_only(world):
    ApiToken.issue(world.users["coop_b"], "Coop B machine")
    html = client_for(world, "coop").get(reverse("tokens")).content.decode()
    assert "Coop B machine" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_token_needs_a_good_name(world, name):
    response = client_for(world, "coop").post(reverse("tokens"), {"action": "create", "name": name})
    assert response.status_code == 200
    assert field_errors(response, "name")
    assert ApiToken.objects.count() == 0


@pytest.mark.django_db
def test_a_viewer_cannot_create_or_revoke_tokens(world):
    token, _raw = ApiToken.issue(world.users["coop"], "Line 1")
    viewer = Client()
    viewer.force_login(make_user("coop_viewer", world.orgs["coop"], Role.VIEWER))
    assert viewer.get(reverse("tokens")).status_code == 200
    response = viewer.post(reverse("tokens"), {"action": "create", "name": "Mine"})
    assert response.status_code == 403
    response = viewer.post(reverse("tokens"), {"action": "revoke", "id": token.pk})
    assert response.status_code == 403
    assert ApiToken.objects.count() == 1
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.django_db
def test_token_revoke(world):
    token, raw = ApiToken.issue(world.users["coop"], "Line 1")
    response = client_for(world, "coop").post(
        reverse("tokens"), {"action": "revoke", "id": token.pk}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiToken.find_active(raw) is None


@pytest.mark.django_db
@pytest.mark.parametrize("bad_id", ["other", "abc", "", "999999"])
def test_token_revoke_of_another_organisations_token_is_404(world, bad_id):
    token, raw = ApiToken.issue(world.users["coop_b"], "Coop B machine")
    token_id = token.pk if bad_id == "other" else bad_id
    response = client_for(world, "coop").post(
        reverse("tokens"), {"action": "revoke", "id": token_id}
    )
    assert response.status_code == 404
    assert ApiToken.find_active(raw) is not None


@pytest.mark.django_db
def test_token_unknown_action_is_400(world):
    response = client_for(world, "coop").post(reverse("tokens"), {"action": "steal"})
    assert response.status_code == 400


@pytest.mark.django_db
def test_tokens_need_a_login(world):
    assert Client().get(reverse("tokens")).status_code == 302


# ------------------------------------------------------------------ public code list


@pytest.fixture
def issued_and_draft(world, durian, markets):
    issued, app = make_area(world)
    walk_to_issued(world, app)
    issued.refresh_from_db()
    draft, _app = make_area(world, lon=108.1)
    return issued, draft


@pytest.mark.django_db
def test_public_list_shows_issued_codes_only_and_no_personal_data(world, issued_and_draft):
    issued, draft = issued_and_draft
    response = Client().get(reverse("public-codes"))
    assert response.status_code == 200
    html = response.content.decode()
    assert issued.code in html and issued.name in html
    assert draft.name not in html
    for household in issued.households.all():
        assert household.national_id not in html
        assert household.name not in html
    assert reverse("public-codes-export", args=["csv"]) in html
    save_page("public_codes", response)


@pytest.mark.django_db
def test_public_list_marks_approved_markets(world, issued_and_draft, markets):
    issued, _draft = issued_and_draft
    from agritrace.registry.models import ApprovalStatus, MarketApproval

    MarketApproval.objects.create(area=issued, market=markets["CN"], status=ApprovalStatus.APPROVED)
    html = Client().get(reverse("public-codes")).content.decode()
    assert "CN&nbsp;✓" in html


@pytest.mark.django_db
def test_public_list_filters(world, issued_and_draft):
    issued, _draft = issued_and_draft
    client = Client()

    def codes(**params):
        return [r["code"] for r in client.get(reverse("public-codes"), params).context["page"]]

    assert codes(province=world.province.pk) == [issued.code]
    assert codes(province=world.other_commune.parent_id) == []
    assert codes(kind="area", crop="durian", market="CN", status="issued") == [issued.code]
    assert codes(kind="packing_house") == []
    assert codes(q=issued.code[-4:]) == [issued.code]
    assert codes(status="revoked") == []
    # A value that is not a choice is ignored, and said so.
    response = client.get(reverse("public-codes"), {"province": "abc"})
    assert [r["code"] for r in response.context["page"]] == [issued.code]
    assert field_errors(response, "province")


@pytest.mark.django_db
def test_public_csv_export_parses_and_holds_the_rows(world, issued_and_draft):
    issued, draft = issued_and_draft
    response = Client().get(reverse("public-codes-export", args=["csv"]), {"kind": "area"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Code" and len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Code"] == issued.code
    assert row["Name"] == issued.name
    assert row["Province"] == "Đắk Lắk"
    assert float(row["Area (ha)"]) == float(issued.declared_area_ha)
    assert row["Markets"] == "CN"
    assert draft.name not in text


@pytest.mark.django_db
def test_public_xlsx_export_parses_and_holds_the_rows(world, issued_and_draft):
    from openpyxl import load_workbook

    issued, draft = issued_and_draft
    response = Client().get(reverse("public-codes-export", args=["xlsx"]))
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Code" and len(rows) == 2
    assert rows[1][0] == issued.code and rows[1][2] == issued.name
    assert rows[1][6] == float(issued.declared_area_ha)
    assert all(draft.name not in str(v) for v in rows[1])


@pytest.mark.django_db
def test_exports_neutralise_spreadsheet_formulas(world, issued_and_draft):
    from openpyxl import load_workbook

    issued, _draft = issued_and_draft
    type(issued).objects.filter(pk=issued.pk).update(name='=HYPERLINK("http://x","y")')
    text = Client().get(reverse("public-codes-export", args=["csv"])).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    response = Client().get(reverse("public-codes-export", args=["xlsx"]))
    cell = load_workbook(io.BytesIO(response.content)).active["C2"]
    assert cell.data_type == "s" and cell.value.startswith("'=")


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["pdf", "json", "CSV"])
def test_public_export_of_another_format_is_404(world, fmt):
    assert Client().get(reverse("public-codes-export", args=[fmt])).status_code == 404


@pytest.mark.django_db
def test_tokens_and_households_refuse_a_user_without_organisation(world):
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.create_user("loner", password="pw-Secret-123"))
    assert client.get(reverse("tokens")).status_code == 403
    assert client.post(reverse("tokens"), {"action": "create", "name": "x"}).status_code == 403
    assert client.get(reverse("household-list")).status_code == 403
    assert client.get(reverse("inbox")).status_code == 200
    assert ApiToken.objects.count() == 0
