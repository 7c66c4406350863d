"""Shared test fixtures: a small province (Đắk Lắk) with its bodies, one user per kind of
organisation, and a helper that walks an application to an issued code."""

import math
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from agritrace.accounts.access import Actor
from agritrace.accounts.models import Membership, Organisation, OrgKind, Role
from agritrace.places.models import AdminUnit, ProvinceAbbreviation


def square(lon: float, lat: float, side_m: float = 100.0) -> dict:
    """A GeoJSON square of about side_m metres with its south-west corner at lon, lat."""
    dlat = side_m / 111_320
    dlon = side_m / (111_320 * math.cos(math.radians(lat)))
    ring = [[lon, lat], [lon + dlon, lat], [lon + dlon, lat + dlat], [lon, lat + dlat], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """A transactional test (browser, concurrency) ends with a flush that empties every
    table; pytest-django runs those tests last, so only the next transactional test needs the
    reference data back. Loaded in bulk here (about 1.5 s) rather than by serialized_rollback
    (about 20 s on PostgreSQL: it deserialises the 14,149 administrative units one by one)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not (marker.kwargs.get("transaction") or (marker.args[:1] == (True,))):
        return
    request.getfixturevalue("transactional_db")
    if not AdminUnit.objects.exists():
        from agritrace.reference import load_reference_data

        load_reference_data()


@pytest.fixture
def province(db):
    unit = AdminUnit.objects.get(tree="2025", level="province", name="Đắk Lắk")
    ProvinceAbbreviation.objects.create(
        province=unit, abbreviation="DL", source="test value, not official"
    )
    return unit


@pytest.fixture
def communes(province):
    return list(AdminUnit.objects.filter(parent=province, level="commune").order_by("code")[:3])


@pytest.fixture
def commune(communes):
    return communes[0]


@pytest.fixture
def other_province(db):
    return AdminUnit.objects.get(tree="2025", level="province", name="Đồng Tháp")


@pytest.fixture
def other_commune(other_province):
    return AdminUnit.objects.filter(parent=other_province, level="commune").order_by("code")[0]


class World:
    """Organisations and their users, made on demand."""

    def __init__(self, province, communes, other_commune):
        self.province = province
        self.communes = communes
        self.other_commune = other_commune
        self.orgs: dict[str, Organisation] = {}
        self.users: dict[str, object] = {}
        hanoi = AdminUnit.objects.get(tree="2025", level="province", name="Thành phố Hà Nội")
        specs = {
            "ministry": (OrgKind.MINISTRY, hanoi, "Plant Protection Department"),
            "province": (OrgKind.PROVINCE, province, "Sở NN&MT Đắk Lắk"),
            "ppo": (OrgKind.PLANT_PROTECTION, province, "Chi cục TT&BVTV Đắk Lắk"),
            "commune": (OrgKind.COMMUNE, communes[0], f"UBND {communes[0].name}"),
            "commune_b": (OrgKind.COMMUNE, communes[1], f"UBND {communes[1].name}"),
            "coop": (OrgKind.REPRESENTATIVE, communes[0], "HTX Sầu riêng Ea Tul"),
            "coop_b": (OrgKind.REPRESENTATIVE, communes[1], "HTX Cà phê Cư Né"),
            "household": (OrgKind.HOUSEHOLD, communes[0], "Hộ Nguyễn Văn An"),
            "packing": (OrgKind.PACKING_HOUSE, communes[0], "Cơ sở đóng gói Phúc Thịnh"),
            "exporter": (OrgKind.EXPORTER, communes[0], "Công ty XNK Tây Nguyên"),
            "lab": (OrgKind.LABORATORY, province, "Phòng thử nghiệm"),
            "other_ppo": (OrgKind.PLANT_PROTECTION, other_commune.parent, "Chi cục Đồng Tháp"),
            "other_coop": (OrgKind.REPRESENTATIVE, other_commune, "HTX Xoài Cao Lãnh"),
        }
        for key, (kind, unit, name) in specs.items():
            org = Organisation.objects.create(
                name=name, kind=kind, unit=unit, email=f"{key}@example.org"
            )
            self.orgs[key] = org
            role = Role.INSPECTOR if key == "ppo" else Role.OFFICER
            self.users[key] = make_user(f"{key}_user", org, role)

    def actor(self, key: str) -> Actor:
        return Actor.of(self.users[key])


def make_user(username: str, org: Organisation, role: str = Role.OFFICER, password="pw-Secret-123"):
    user = get_user_model().objects.create_user(
        username=username, password=password, email=f"{username}@example.org"
    )
    Membership.objects.create(user=user, organisation=org, role=role)
    return user


@pytest.fixture
def world(province, communes, other_commune):
    return World(province, communes, other_commune)


@pytest.fixture
def durian(db):
    from agritrace.registry.models import Crop

    return Crop.objects.get(code="durian")


@pytest.fixture
def markets(db):
    from agritrace.registry.models import Market

    return {m.code: m for m in Market.objects.all()}


def make_area(
    world: World, *, lon=108.05, lat=12.67, households=2, declared=None, key="coop", markets=("CN",)
):
    """A planting area of `households` households with one 100 m plot each, as a draft."""
    from agritrace.registry import services
    from agritrace.registry.models import Crop, Market

    actor = world.actor(key)
    durian = Crop.objects.get(code="durian")
    area, app = services.create_area(
        actor,
        {
            "name": f"Vùng sầu riêng {lon:.3f}",
            "crop": durian.pk,
            "variety": durian.varieties.first().pk,
            "commune": world.orgs[key].unit_id,
            "declared_area_ha": declared if declared is not None else Decimal("1") * households / 1,
            "expected_yield_t": 20,
            "markets": [m.pk for m in Market.objects.filter(code__in=markets)],
        },
    )
    hh_ids = []
    for i in range(households):
        hh = services.create_household(
            actor,
            {
                "name": f"Hộ {i} {lon}",
                "commune": world.orgs[key].unit_id,
                "national_id": f"{abs(hash((lon, lat, i))) % 10**12:012d}",
            },
        )
        hh_ids.append(hh.pk)
        services.save_plot(
            actor,
            {
                "household": hh.pk,
                "area": area.pk,
                "label": f"P{i}",
                "geometry": square(lon + i * 0.002, lat, 100),
            },
        )
    services.set_area_households(actor, area, hh_ids)
    area.refresh_from_db()
    return area, app


def walk_to_issued(world: World, app):
    """Drive an application through every step to an issued code."""
    from agritrace.registry.lifecycle import transition

    coop = (
        world.actor("coop")
        if app.applicant == world.orgs["coop"]
        else Actor.of(app.applicant.memberships.first().user)
    )
    ppo = world.actor("ppo")
    transition(app, "submit", coop)
    transition(app, "start_appraisal", ppo)
    transition(app, "accept", ppo)
    transition(
        app, "schedule_inspection", ppo, scheduled_for=timezone.localdate() + timedelta(days=1)
    )
    from agritrace.registry.lifecycle import INSPECTION_CHECKLIST

    transition(
        app, "record_inspection", ppo, checklist={k: "pass" for k, _l in INSPECTION_CHECKLIST}
    )
    transition(app, "approve", ppo)
    app = transition(app, "issue", ppo)
    return app


@pytest.fixture
def chromium():
    """Debian's Chromium, launched for one browser test (see agritrace/tests/browser.py)."""
    from agritrace.tests.browser import launch

    with launch() as browser:
        yield browser
