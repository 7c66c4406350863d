"""A demo province to try AgriTrace with: Đắk Lắk's real communes, its authorities, four
cooperatives with about sixty households and their plots, three packing houses, two exporters
and a laboratory, and files at every step of their life; the season's farm diaries (some
entries flagged) and the province's supervision of the issued codes: a monitoring plan and its
visits, residue samples and results (one above China's limit), a pest observation and an
importing country's notice (agritrace.diary.demo, agritrace.supervision.demo).

Everything in the registry is made through the domain services (registry.services and
registry.lifecycle) acting as the right person, so the audit log, the application steps and the
notifications are the ones real use would leave. The story unfolds over the last five months:
while the demo is built, Django's clock is set back to the day of each step (see
`_SimulatedClock`), so deadlines, overdue steps and the audit trail look like real use. The
season's part of it (the issued codes and their rights, the diaries, the harvests) is moved
further back when needed so the harvests fall in the durian season calendar of the province
(`season_shift`). Names, ID numbers and plots come from a seeded random generator: the same
seed gives the same data and the same codes.

Organisations and logins have no service of their own (an operator makes them with
`agritrace createorganisation` and `agritrace createuser`): those rows are written directly.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from unittest import mock

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.translation import gettext as _

from agritrace.accounts.access import Actor
from agritrace.accounts.models import Membership, Organisation, OrgKind, Role
from agritrace.audit.services import record, snapshot
from agritrace.demo_laichau import LAICHAU_USERNAMES, laichau_steps
from agritrace.diary.demo import diary_steps
from agritrace.eudr.demo import LARGE_PLOT_HA as EUDR_LARGE_PLOT_HA
from agritrace.eudr.demo import EudrCast, eudr_steps
from agritrace.misuse.demo import DAYS as MISUSE_DAYS
from agritrace.misuse.demo import MisuseCast, misuse_steps
from agritrace.places.models import AdminUnit, ProvinceAbbreviation
from agritrace.places.services import find_commune, find_province
from agritrace.registry import geometry as geo
from agritrace.registry import lifecycle, services
from agritrace.registry.models import (
    Application,
    Crop,
    Market,
    PackingHouse,
    PlantingArea,
    Variety,
)
from agritrace.reports.demo import ReportsCast, reports_steps
from agritrace.stamps.demo import DAYS as CHAIN_DAYS
from agritrace.stamps.demo import ChainCast, chain_steps
from agritrace.supervision.calendar import in_season
from agritrace.supervision.demo import Cast, supervision_steps

DEMO_PASSWORD = "demo12345"
DEMO_SEED = 2026
PROVINCE = "Đắk Lắk"
ABBREVIATION_SOURCE = "demo value — not an official abbreviation"

#: (username, organisation key, role, full name): one login per kind of organisation, plus
#: the other cooperatives, communes, packing houses and exporters so every actor can log in.
USERS = [
    ("ministry", "ministry", Role.OFFICER, "Phạm Quốc Bảo"),
    ("officer", "province", Role.OFFICER, "Trần Thị Mai"),
    ("inspector", "ppo", Role.INSPECTOR, "Lê Văn Dũng"),
    ("viewer", "province", Role.VIEWER, "Đỗ Thị Hạnh"),
    ("commune", "commune_kp", Role.OFFICER, "Y Kông Adrơng"),
    ("commune2", "commune_cm", Role.OFFICER, "Nguyễn Thị Hoa"),
    ("commune3", "commune_ek", Role.OFFICER, "Võ Minh Tâm"),
    ("coop", "coop1", Role.MANAGER, "Hoàng Văn Thắng"),
    ("coop2", "coop2", Role.MANAGER, "H’Lan Ayŭn"),
    ("coop3", "coop3", Role.MANAGER, "Bùi Đức Long"),
    ("coop4", "coop4", Role.MANAGER, "Ngô Thanh Sơn"),
    ("household", "household1", Role.STAFF, "Nguyễn Văn Hùng"),
    ("household2", "household2", Role.STAFF, "H’Nga Byă"),
    ("packing", "packing1", Role.MANAGER, "Phan Thị Thảo"),
    ("packing2", "packing2", Role.MANAGER, "Đặng Quốc Việt"),
    ("packing3", "packing3", Role.MANAGER, "Huỳnh Ngọc Lan"),
    ("exporter", "exporter1", Role.MANAGER, "Vũ Hữu Phúc"),
    ("exporter2", "exporter2", Role.MANAGER, "Dương Thị Hương"),
    ("lab", "lab", Role.STAFF, "Lý Minh Khoa"),
]
DEMO_USERNAMES = [u[0] for u in USERS] + LAICHAU_USERNAMES

#: Communes used, with a point near their farmland (longitude, latitude).
COMMUNES = {
    "bmt": ("Phường Buôn Ma Thuột", (108.050, 12.670)),
    "kp": ("Xã Krông Pắc", (108.320, 12.720)),
    "cm": ("Xã Cư M'gar", (108.080, 12.850)),
    "ek": ("Xã Ea Kar", (108.450, 12.800)),
}

#: key: (kind, where, name). "where" is a commune key, "province" or "hanoi".
ORGANISATIONS = {
    "ministry": (OrgKind.MINISTRY, "hanoi", "Cục Bảo vệ thực vật"),
    "province": (OrgKind.PROVINCE, "province", "Sở Nông nghiệp và Môi trường Đắk Lắk"),
    "ppo": (OrgKind.PLANT_PROTECTION, "province", "Chi cục Trồng trọt và Bảo vệ thực vật Đắk Lắk"),
    "commune_kp": (OrgKind.COMMUNE, "kp", "UBND Xã Krông Pắc"),
    "commune_cm": (OrgKind.COMMUNE, "cm", "UBND Xã Cư M’gar"),
    "commune_ek": (OrgKind.COMMUNE, "ek", "UBND Xã Ea Kar"),
    "coop1": (OrgKind.REPRESENTATIVE, "kp", "HTX Nông nghiệp Dịch vụ Sầu riêng Krông Pắc"),
    "coop2": (OrgKind.REPRESENTATIVE, "cm", "HTX Cà phê Công bằng Cư M’gar"),
    "coop3": (OrgKind.REPRESENTATIVE, "ek", "HTX Nông nghiệp Ea Kar"),
    "coop4": (OrgKind.REPRESENTATIVE, "bmt", "Công ty TNHH Nông sản Buôn Ma Thuột"),
    "household1": (OrgKind.HOUSEHOLD, "kp", "Hộ Nguyễn Văn Hùng"),
    "household2": (OrgKind.HOUSEHOLD, "kp", "Hộ H’Nga Byă"),
    "packing1": (OrgKind.PACKING_HOUSE, "kp", "Công ty TNHH Đóng gói Trái cây Phúc Thịnh"),
    "packing2": (OrgKind.PACKING_HOUSE, "ek", "Cơ sở Đóng gói Sầu riêng Ea Kar"),
    "packing3": (OrgKind.PACKING_HOUSE, "bmt", "Công ty CP Kho vận Nông sản Tây Nguyên"),
    "exporter1": (OrgKind.EXPORTER, "bmt", "Công ty CP Xuất nhập khẩu Đắk Lắk"),
    "exporter2": (OrgKind.EXPORTER, "bmt", "Công ty TNHH Thương mại Hoàng Phát"),
    "lab": (OrgKind.LABORATORY, "bmt", "Trung tâm Phân tích và Kiểm nghiệm Nông sản Tây Nguyên"),
}


@dataclass(frozen=True)
class AreaSpec:
    key: str
    coop: str
    commune: str
    crop: str
    variety: str
    name: str
    village: str
    households: int
    markets: tuple[str, ...]
    story: str
    #: declared area = measured × this (1 within the tolerance; 2 is flagged)
    declared_factor: float = 1.0


#: Fifteen areas; the order decides the order codes are issued in, so keep it stable.
AREAS = [
    AreaSpec("A1", "coop1", "kp", "durian", "Ri6", "Vùng sầu riêng Ri6 Buôn Ea Kly",
             "Buôn Ea Kly", 5, ("CN", "VN"), "issued"),
    AreaSpec("A2", "coop1", "kp", "durian", "Monthong (Dona)", "Vùng sầu riêng Dona Thôn 5",
             "Thôn 5", 4, ("CN", "VN"), "issued"),
    AreaSpec("A3", "coop1", "kp", "durian", "Ri6", "Vùng sầu riêng Buôn Kniết",
             "Buôn Kniết", 4, ("CN",), "issued"),
    AreaSpec("A4", "coop1", "kp", "durian", "Musang King", "Vùng sầu riêng Musang King Thôn 9",
             "Thôn 9", 4, ("CN",), "appraisal_overdue"),
    AreaSpec("C1", "coop2", "cm", "coffee", "Robusta TR4", "Vùng cà phê Robusta Buôn Sah",
             "Buôn Sah", 4, ("EU", "VN"), "issued"),
    AreaSpec("C2", "coop2", "cm", "coffee", "Robusta TR9", "Vùng cà phê TR9 Thôn 2",
             "Thôn 2", 4, ("EU", "VN"), "returned"),
    AreaSpec("C3", "coop2", "cm", "coffee", "Robusta TRS1", "Vùng cà phê tái canh Buôn Xuân",
             "Buôn Xuân", 3, ("VN",), "draft"),
    AreaSpec("D5", "coop2", "cm", "durian", "Ri6", "Vùng sầu riêng Ri6 Buôn Ja Wầm",
             "Buôn Ja Wầm", 4, ("CN",), "issued"),
    AreaSpec("E1", "coop3", "ek", "durian", "Monthong (Dona)", "Vùng sầu riêng Thôn 7 Ea Kar",
             "Thôn 7", 5, ("CN", "VN"), "issued"),
    AreaSpec("E2", "coop3", "ek", "durian", "Ri6", "Vùng sầu riêng Ri6 Thôn 10",
             "Thôn 10", 4, ("CN",), "inspection"),
    AreaSpec("E3", "coop3", "ek", "rice", "ST25", "Cánh đồng lớn lúa ST25 Ea Kar",
             "Thôn 3", 4, ("VN",), "approved"),
    AreaSpec("E4", "coop3", "ek", "rice", "OM18", "Cánh đồng lúa OM18 Thôn 12",
             "Thôn 12", 3, ("VN",), "rejected"),
    AreaSpec("B1", "coop4", "bmt", "coffee", "Robusta TR4", "Vùng cà phê Robusta Ea Tam",
             "Khối 6", 4, ("VN",), "issued"),
    AreaSpec("B2", "coop4", "bmt", "coffee", "Robusta TR9", "Vùng cà phê TR9 Khối 9",
             "Khối 9", 3, ("EU", "VN"), "submitted", declared_factor=2.0),
    AreaSpec("B3", "coop4", "bmt", "durian", "Ri6", "Vùng sầu riêng Khối 12",
             "Khối 12", 3, ("CN",), "withdrawn"),
]  # fmt: skip

#: Plot sizes per crop, in hectares.
PLOT_HA = {"durian": (0.3, 1.5), "coffee": (0.5, 2.0), "rice": (1.0, 3.0)}
YIELD_T_PER_HA = {"durian": 18, "coffee": 3, "rice": 6}
PLANTING_YEARS = {"durian": (2014, 2021), "coffee": (1998, 2016), "rice": None}

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]  # fmt: skip
MIDDLE_M = ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Công"]
MIDDLE_F = ["Thị", "Ngọc", "Thu", "Thanh", "Kim"]
GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khoa", "Nam", "Phúc", "Quang", "Sơn",
           "Tâm", "Trung", "Tuấn", "Việt", "Long", "Thắng", "Hiếu", "Lộc", "Tài"]  # fmt: skip
GIVEN_F = ["Lan", "Mai", "Hoa", "Hạnh", "Hương", "Thảo", "Trang", "Yến", "Nhung", "Oanh"]
EDE_M = ["Y Bhim Niê", "Y Khoa Êban", "Y Blin Ktla", "Y Kông Adrơng", "Y Phương Mlô",
         "Y Thuột Byă", "Y Siu Hwing", "Y Juăn Knul"]  # fmt: skip
EDE_F = ["H’Hen Mlô", "H’Lan Ayŭn", "H’Yim Kđoh", "H’Ngơn Niê", "H’Bia Êban", "H’Duyên Knul"]

CHECKLIST_PASS = {key: "pass" for key, _label in lifecycle.INSPECTION_CHECKLIST}


class DemoError(Exception):
    """The demo cannot be added to this database."""


def demo_exists() -> bool:
    """Whether the demo was built here: its ministry, with its example.org address, exists."""
    kind, _where, name = ORGANISATIONS["ministry"]
    names = [name, *_EARLIER_MINISTRY_NAMES]
    return Organisation.objects.filter(
        kind=kind, name__in=names, email="ministry@example.org"
    ).exists()


#: The ministry's name in demos built by earlier versions (still recognised as the demo).
_EARLIER_MINISTRY_NAMES = ["Cục Bảo vệ thực vật (Plant Protection Department)"]


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, organisation, role) of the demo users present in the database; a
    household's member is shown as the household ("Hộ sản xuất"), not as staff."""
    rows = []
    memberships = {
        m.user.username: m
        for m in Membership.objects.select_related("user", "organisation").filter(
            user__username__in=DEMO_USERNAMES, organisation__email__endswith="@example.org"
        )
    }
    for username in DEMO_USERNAMES:
        m = memberships.get(username)
        if m is not None:
            role = (
                m.organisation.get_kind_display()
                if m.organisation.kind == OrgKind.HOUSEHOLD
                else m.get_role_display()
            )
            rows.append((username, m.organisation.name, str(role)))
    return rows


def format_logins(rows: list[tuple[str, str, str]], password: str = DEMO_PASSWORD) -> str:
    """The demo logins as a plain-text table."""
    if not rows:
        return ""
    header = (_("user name"), _("organisation"), _("role"))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = [_("Demo logins (password for all: %(p)s):") % {"p": password}]
    for row in [header, *rows]:
        lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    return "\n".join(line.rstrip() for line in lines)


# ------------------------------------------------------------------ the simulated clock


class _SimulatedClock:
    """Stands in for django.utils.timezone.now while the demo is built. It only moves
    forward, from months ago to yesterday, so the audit log stays in time order and nothing
    is dated in the future."""

    def __init__(self, real_now: datetime, shift: int = 0) -> None:
        self.real_now = real_now
        self.today = timezone.localdate(real_now)
        #: Days the season's story (codes, rights, diaries, harvests) is moved back so the
        #: harvests fall in the crop's season calendar (see `season_shift`).
        self.shift = shift
        self.current = real_now - timedelta(days=400 + shift)

    def __call__(self) -> datetime:
        return self.current

    def day(self, days_ago: int) -> date:
        """The calendar date `days_ago` days before today."""
        return self.today - timedelta(days=days_ago)

    def at(self, days_ago: int, hour: int = 8) -> None:
        """Go to a working day `days_ago` days back (the Friday before, for a weekend)."""
        day = _working_day(self.day(days_ago))
        # In UTC, as timezone.now() gives: the audit hash covers the timestamp's text.
        moment = timezone.make_aware(datetime.combine(day, time(hour, 0))).astimezone(UTC)
        latest = self.real_now - timedelta(minutes=30)
        self.current = min(max(moment, self.current + timedelta(minutes=1)), latest)

    def tick(self, minutes: int = 6) -> None:
        self.current = min(
            self.current + timedelta(minutes=minutes), self.real_now - timedelta(minutes=1)
        )


def _working_day(day: date) -> date:
    """The day itself, or the Friday before for a weekend."""
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def season_shift(today: date) -> int:
    """How many days to move the season's story back from its written days so that every
    day of the produce chains (the lawful harvests, packing and shipping of A1 and E1, and
    the rented lot of A1) falls in the durian season calendar of the demo province:
    0 when it already does, else the most recent in-season window before `today` (this
    year's or last year's). 0 when no calendar covers the crop there (unknown: nothing to fit)."""
    province = find_province(PROVINCE)
    days = sorted(
        set(CHAIN_DAYS.values())
        | {MISUSE_DAYS[k] for k in ("rented_harvest", "rented_pack", "rented_ship")}
    )
    if in_season("durian", province, today) is None:
        return 0
    for shift in range(0, 2 * 366):
        moments = [_working_day(today - timedelta(days=d + shift)) for d in days]
        if all(in_season("durian", province, day) for day in moments):
            return shift
    return 0


@contextmanager
def _simulated_time(clock: _SimulatedClock) -> Iterator[None]:
    """Point timezone.now, and model fields whose default is timezone.now, at the clock."""
    original = timezone.now
    fields = [
        f
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if f.default is original
    ]

    def point_to(func) -> None:
        for f in fields:
            f.default = func
            f.__dict__.pop("_get_default", None)  # a cached_property on Field

    with mock.patch.object(timezone, "now", clock):
        point_to(clock)
        try:
            yield
        finally:
            point_to(original)


# ------------------------------------------------------------------ building


@dataclass
class _Demo:
    rng: random.Random
    clock: _SimulatedClock
    units: dict[str, AdminUnit] = field(default_factory=dict)
    orgs: dict[str, Organisation] = field(default_factory=dict)
    users: dict[str, object] = field(default_factory=dict)
    areas: dict[str, PlantingArea] = field(default_factory=dict)
    apps: dict[str, Application] = field(default_factory=dict)
    households: dict[str, list] = field(default_factory=dict)
    plot_centres: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    used_ids: set[str] = field(default_factory=set)
    used_names: set[str] = field(default_factory=set)
    authorisations: dict[tuple[str, str], object] = field(default_factory=dict)

    def actor(self, user_key: str) -> Actor:
        return Actor.of(self.users[user_key])

    def coop_user(self, coop: str) -> str:
        return {"coop1": "coop", "coop2": "coop2", "coop3": "coop3", "coop4": "coop4"}[coop]


def build_demo(seed: int = DEMO_SEED, now: datetime | None = None) -> dict:
    """Fill an empty registry with the demo province. Returns a summary: whether it was
    created, the logins and their password, the codes issued and counts. Does nothing when
    the demo is already there; refuses (DemoError) a database that holds other records.
    `now` (default: the real now) is the moment the story ends, to build it as of another
    day (tests)."""
    if demo_exists():
        return {"created": False, "password": DEMO_PASSWORD, "logins": demo_logins()}
    if Organisation.objects.exists() or PlantingArea.objects.exists():
        raise DemoError(
            _(
                "The database already holds organisations or planting areas: the demo is only "
                "added to an empty registry."
            )
        )
    now = now or timezone.now()
    clock = _SimulatedClock(now, season_shift(timezone.localdate(now)))
    demo = _Demo(rng=random.Random(seed), clock=clock)
    # Demo addresses are example.org; send no e-mail at all while building.
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        _simulated_time(clock),
        transaction.atomic(),
    ):
        _places(demo)
        _organisations(demo)
        _story(demo)
    return summary(created=True)


def summary(created: bool) -> dict:
    from agritrace.accounts.models import Organisation as Org
    from agritrace.audit.models import AuditEntry
    from agritrace.diary.models import DiaryEntry, DiaryFlag
    from agritrace.notifications.models import Notification
    from agritrace.registry.models import Household, Plot, PlotOverlap
    from agritrace.stamps.demo import demo_stamp_uris
    from agritrace.stamps.models import Stamp
    from agritrace.supervision.models import MonitoringVisit, Notice, ResidueCase, Sample
    from agritrace.trace.models import Event

    codes = sorted(
        c
        for c in [
            *PlantingArea.objects.exclude(code=None).values_list("code", flat=True),
            *PackingHouse.objects.exclude(code=None).values_list("code", flat=True),
        ]
    )
    return {
        "created": created,
        "password": DEMO_PASSWORD,
        "logins": demo_logins(),
        "codes": codes,
        "counts": {
            "organisations": Org.objects.count(),
            "users": get_user_model().objects.count(),
            "planting_areas": PlantingArea.objects.count(),
            "households": Household.objects.count(),
            "plots": Plot.objects.count(),
            "plot_overlaps": PlotOverlap.objects.count() // 2,
            "packing_houses": PackingHouse.objects.count(),
            "applications": Application.objects.count(),
            "notifications": Notification.objects.count(),
            "audit_entries": AuditEntry.objects.count(),
            "diary_entries": DiaryEntry.objects.count(),
            "diary_flags": DiaryFlag.objects.count(),
            "monitoring_visits": MonitoringVisit.objects.count(),
            "samples": Sample.objects.count(),
            "residue_cases": ResidueCase.objects.count(),
            "notices": Notice.objects.count(),
            "trace_events": Event.objects.count(),
            "stamps": Stamp.objects.count(),
        },
        "stamp_uris": demo_stamp_uris(),
    }


def _places(demo: _Demo) -> None:
    province = find_province(PROVINCE)
    hanoi = find_province("Hà Nội")
    if province is None or hanoi is None:
        raise DemoError(_("The administrative units are not loaded: run `agritrace migrate`."))
    demo.units["province"] = province
    demo.units["hanoi"] = hanoi
    for key, (name, _point) in COMMUNES.items():
        unit = find_commune(province, name)
        if unit is None:
            raise DemoError(_("%(name)s was not found in %(p)s.") % {"name": name, "p": PROVINCE})
        demo.units[key] = unit


def _organisations(demo: _Demo) -> None:
    demo.clock.at(200 + demo.clock.shift)
    User = get_user_model()
    for key, (kind, where, name) in ORGANISATIONS.items():
        demo.orgs[key] = Organisation.objects.create(
            name=name,
            kind=kind,
            unit=demo.units[where],
            email=f"{key}@example.org",
            phone=f"0262{demo.rng.randrange(10**6):06d}",
            address=demo.units[where].full_name(),
        )
    for username, org_key, role, full_name in USERS:
        family, _sep, given = full_name.rpartition(" ")
        user = User.objects.create_user(
            username=username,
            password=DEMO_PASSWORD,
            email=f"{username}@example.org",
            first_name=given,
            last_name=family,
        )
        Membership.objects.create(user=user, organisation=demo.orgs[org_key], role=role)
        demo.users[username] = user
    # Codes need the province's abbreviation; the real one for Đắk Lắk was not available.
    existing = ProvinceAbbreviation.objects.filter(province=demo.units["province"], active=True)
    if not existing.exists():
        abbreviation = ProvinceAbbreviation.objects.create(
            province=demo.units["province"], abbreviation="DL", source=ABBREVIATION_SOURCE
        )
        record(
            demo.users["officer"],
            "catalogue.abbreviation",
            abbreviation,
            None,
            snapshot(abbreviation),
            ABBREVIATION_SOURCE,
        )


# ------------------------------------------------------------------ people and plots


def _person(demo: _Demo, ede_share: float) -> str:
    rng = demo.rng
    for _attempt in range(200):
        female = rng.random() < 0.35
        if rng.random() < ede_share:
            name = rng.choice(EDE_F if female else EDE_M)
        else:
            middle = rng.choice(MIDDLE_F if female else MIDDLE_M)
            given = rng.choice(GIVEN_F if female else GIVEN_M)
            name = f"{rng.choice(FAMILY)} {middle} {given}"
        if name not in demo.used_names:
            demo.used_names.add(name)
            return name
    raise DemoError("ran out of demo names")


def _national_id(demo: _Demo) -> str:
    """A 12-digit number shaped like a citizen ID (Đắk Lắk's 066, sex/century, birth year);
    made up, and not anyone's."""
    rng = demo.rng
    while True:
        sex = rng.choice("01")
        number = f"066{sex}{rng.randrange(55, 96):02d}{rng.randrange(10**6):06d}"
        if number not in demo.used_ids:
            demo.used_ids.add(number)
            return number


def quadrilateral(rng: random.Random, lon: float, lat: float, hectares: float) -> dict:
    """An irregular four-sided plot of about `hectares` around (lon, lat), as GeoJSON."""
    side = math.sqrt(hectares * 10_000)
    half = side / 2
    m_lat = 1 / 111_320
    m_lon = 1 / (111_320 * math.cos(math.radians(lat)))
    angle = math.radians(rng.uniform(-12, 12))
    corners = []
    for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):  # counter-clockwise
        x = sx * half + rng.uniform(-0.12, 0.12) * side
        y = sy * half + rng.uniform(-0.12, 0.12) * side
        x, y = x * math.cos(angle) - y * math.sin(angle), x * math.sin(angle) + y * math.cos(angle)
        corners.append([round(lon + x * m_lon, 6), round(lat + y * m_lat, 6)])
    return {"type": "Polygon", "coordinates": [[*corners, corners[0]]]}


def _offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    return (
        lon + east_m / (111_320 * math.cos(math.radians(lat))),
        lat + north_m / 111_320,
    )


#: Plots sit on a 260 m grid (a 3 ha plot is about 175 m across), so none overlap by chance.
GRID_M = 260


def _plots_for(demo: _Demo, spec: AreaSpec) -> list[list[tuple]]:
    """Per household, its plots as (label, geometry, planting year). Areas of one commune
    lie side by side, 1.6 km apart."""
    rng = demo.rng
    neighbours = [s.key for s in AREAS if s.commune == spec.commune]
    index_in_commune = neighbours.index(spec.key)
    base_lon, base_lat = COMMUNES[spec.commune][1]
    area_lon, area_lat = _offset(
        base_lon, base_lat, index_in_commune * 1600.0, (index_in_commune % 2) * 1100.0
    )
    low, high = PLOT_HA[spec.crop]
    years = PLANTING_YEARS[spec.crop]
    cell = 0
    result = []
    centres = []
    for h in range(spec.households):
        plots = []
        count = 2 if rng.random() < 0.2 else 1
        for _p in range(count):
            east, north = (cell % 3) * GRID_M, (cell // 3) * GRID_M
            cell += 1
            lon, lat = _offset(area_lon, area_lat, east, north)
            if spec.key == "A4" and h == 1 and not plots:
                # drawn over the neighbour's plot: an overlap to find
                lon, lat = _offset(*centres[0], 70, 40)
            if spec.key == "C2" and h == 0 and not plots:
                # a plot claimed by another household in the issued area C1
                lon, lat = _offset(*demo.plot_centres["C1"][0], 60, -30)
            centres.append((lon, lat))
            hectares = round(rng.uniform(low, high), 2)
            if spec.key == "C1" and h == spec.households - 1 and not plots:
                # larger than the 4 ha up to which the EU's file has a point (eudr.demo)
                hectares = EUDR_LARGE_PLOT_HA
            sheet, number = rng.randrange(5, 60), rng.randrange(10, 900)
            label = f"Tờ {sheet}, thửa {number}"
            year = rng.randrange(years[0], years[1] + 1) if years else None
            plots.append((label, quadrilateral(rng, lon, lat, hectares), year))
        result.append(plots)
    demo.plot_centres[spec.key] = centres
    return result


def _make_area(demo: _Demo, spec: AreaSpec) -> None:
    coop_actor = demo.actor(demo.coop_user(spec.coop))
    commune = demo.units[spec.commune]
    crop = Crop.objects.get(code=spec.crop)
    variety = Variety.objects.get(crop=crop, name=spec.variety)
    plots = _plots_for(demo, spec)
    measured_ha = (
        sum(geo.geodesic_area_m2(geo.parse_geojson(g)) for hh in plots for _l, g, _y in hh) / 10_000
    )
    declared = Decimal(str(round(measured_ha * spec.declared_factor, 2)))
    harvests = 2 if spec.crop == "rice" else 1
    area, app = services.create_area(
        coop_actor,
        {
            "name": spec.name,
            "crop": crop.pk,
            "variety": variety.pk,
            "commune": commune.pk,
            "village": spec.village,
            "declared_area_ha": declared,
            "expected_yield_t": round(measured_ha * YIELD_T_PER_HA[spec.crop] * harvests, 1),
            "harvests_per_year": harvests,
            "markets": list(
                Market.objects.filter(code__in=spec.markets).values_list("pk", flat=True)
            ),
        },
    )
    ede_share = 0.0 if spec.commune == "bmt" else 0.3
    households = []
    for h, hh_plots in enumerate(plots):
        demo.clock.tick(3)
        if spec.key == "A1" and h in (0, 1):
            name = ("Nguyễn Văn Hùng", "H’Nga Byă")[h]
            demo.used_names.add(name)
        else:
            name = _person(demo, ede_share)
        household = services.create_household(
            coop_actor,
            {
                "name": name,
                "commune": commune.pk,
                "national_id": _national_id(demo),
                "phone": f"09{demo.rng.randrange(10**8):08d}",
                "address": f"{spec.village}, {commune.name}",
            },
        )
        households.append(household)
        for label, geometry, year in hh_plots:
            demo.clock.tick(2)
            services.save_plot(
                coop_actor,
                {
                    "household": household.pk,
                    "area": area.pk,
                    "label": label,
                    "geometry": geometry,
                    "planting_year": year,
                },
            )
    services.set_area_households(coop_actor, area, [h.pk for h in households])
    demo.areas[spec.key] = area
    demo.apps[spec.key] = app
    demo.households[spec.key] = households


def _link_household_organisation(demo: _Demo, area_key: str, index: int, org_key: str) -> None:
    """The household logs in as its own organisation, linked by the province's officer."""
    services.link_household_organisation(
        demo.actor("officer"), demo.households[area_key][index], demo.orgs[org_key]
    )


# ------------------------------------------------------------------ the story


class _Timeline:
    """Steps of the story, each on its day; run in time order whatever order they were
    written in, so files that move in parallel interleave as they would."""

    def __init__(self) -> None:
        self.events: list[tuple[int, int, object, tuple, dict, int | None]] = []

    def on(self, days_ago: int, func, *args, **kwargs) -> None:
        self.events.append((days_ago, len(self.events), func, args, kwargs, None))

    def at_hour(self, days_ago: int, hour: int, func) -> None:
        """A step at a set hour: it draws nothing from the demo's random generator, so the
        steps added this way leave every other name, plot and hour as it was."""
        self.events.append((days_ago, len(self.events), func, (), {}, hour))

    def run(self, demo: _Demo) -> None:
        for days_ago, _n, func, args, kwargs, hour in sorted(
            self.events, key=lambda e: (-e[0], e[1])
        ):
            if hour is None:  # a fixed hour (at_hour, a step's demo_hour) draws nothing
                hour = getattr(func, "demo_hour", None)
            demo.clock.at(days_ago, hour if hour is not None else 8 + demo.rng.randrange(0, 9))
            func(*args, **kwargs)


def _move(demo: _Demo, key: str, action: str, user: str, **data) -> None:
    demo.apps[key] = lifecycle.transition(demo.apps[key], action, demo.actor(user), **data)


def _walk(demo: _Demo, line: _Timeline, key: str, start: int, until: str, applicant: str) -> None:
    """Plan a file's moves from submission to `until`, a few days apart from `start` days
    ago: submit, appraise (1 day later), accept (5), book the inspection (6) for day 10,
    record it as passed (10), approve (14), issue (15)."""
    steps = [
        ("submit", applicant, 0, {}),
        ("start_appraisal", "inspector", 1, {}),
        ("accept", "inspector", 5, {}),
        ("schedule_inspection", "inspector", 6, {"scheduled_for": demo.clock.day(start - 10)}),
        ("record_inspection", "inspector", 10, {"checklist": CHECKLIST_PASS}),
        ("approve", "officer", 14, {}),
        ("issue", "officer", 15, {}),
    ]
    for action, user, offset, data in steps:
        if action == "record_inspection":
            line.on(start - offset, _record_inspection, demo, key, CHECKLIST_PASS, PASSED_NOTE)
        else:
            line.on(start - offset, _move, demo, key, action, user, **data)
        if action == until:
            return


PASSED_NOTE = "Kiểm tra thực địa đạt yêu cầu."


def _record_inspection(demo: _Demo, key: str, checklist: dict, notes: str) -> None:
    """Recorded where the inspector stood: by the first plot (or at the packing house)."""
    lon, lat = demo.plot_centres[key][0]
    _move(
        demo,
        key,
        "record_inspection",
        "inspector",
        checklist=checklist,
        notes=notes,
        lon=round(lon, 6),
        lat=round(lat, 6),
    )


def _make_packing_house(demo: _Demo, key: str, user: str, commune: str, name: str, capacity: int):
    lon, lat = _offset(*COMMUNES[commune][1], -900, -700)
    _ph, app = services.create_packing_house(
        demo.actor(user),
        {
            "name": name,
            "address": f"{demo.units[commune].name}, {PROVINCE}",
            "commune": demo.units[commune].pk,
            "lon": round(lon, 6),
            "lat": round(lat, 6),
            "capacity_t_per_day": capacity,
            "crops": list(Crop.objects.filter(code="durian").values_list("pk", flat=True)),
            "markets": list(
                Market.objects.filter(code__in=["CN", "VN"]).values_list("pk", flat=True)
            ),
        },
    )
    demo.apps[key] = app
    demo.plot_centres[key] = [(lon, lat)]


def _approvals(demo: _Demo, keys: list[str], move: str, user: str, **extra) -> None:
    cn = Market.objects.get(code="CN")
    for key in keys:
        demo.clock.tick()
        holder = demo.apps[key].subject
        services.move_market_approval(demo.actor(user), holder, cn, move, **extra)


def _authorise(demo: _Demo, grants: list[tuple[str, str, str]]) -> None:
    cn = Market.objects.get(code="CN")
    start = timezone.localdate()
    for key, user, grantee in grants:
        demo.clock.tick()
        demo.authorisations[(key, grantee)] = services.authorise_exporter(
            demo.actor(user),
            demo.areas[key],
            demo.orgs[grantee].pk,
            cn.pk,
            start,
            _rights_end(demo, start),
        )


def _rights_end(demo: _Demo, start: date) -> date:
    """A year from `start`, plus the season shift: still in force on the build day as
    without a shift."""
    return start + timedelta(days=365 + demo.clock.shift)


def _withdraw(demo: _Demo, key: str, grantee: str, reason: str) -> None:
    services.withdraw_authorisation(demo.actor("coop"), demo.authorisations[(key, grantee)], reason)


def _supply_contracts(demo: _Demo, ph_key: str, area_keys: list[str]) -> None:
    """The packing house's contracts with the areas it buys from, for a year."""
    ph = demo.apps[ph_key].subject
    start = timezone.localdate()
    for n, key in enumerate(area_keys, start=1):
        demo.clock.tick()
        services.create_supply_contract(
            demo.actor("packing"),
            ph,
            demo.areas[key],
            start,
            _rights_end(demo, start),
            f"HĐ-{start.year}/PT-{n:02d}",
        )


#: (area, kind, number, issuer, valid from and to in days ago): demo values, not real
#: certificates. C1's VietGAP has expired.
CERTIFICATES = [
    ("A1", "vietgap", "VietGAP-TT-24-05-66-0112", "Trung tâm Chứng nhận Demo", 400, -695),
    ("A2", "globalgap", "GGN 4063061999001", "Tổ chức chứng nhận Demo", 300, -65),
    ("E1", "vietgap", "VietGAP-TT-24-09-66-0207", "Trung tâm Chứng nhận Demo", 250, -480),
    ("C1", "vietgap", "VietGAP-TT-22-03-66-0031", "Trung tâm Chứng nhận Demo", 1100, 5),
    ("C1", "organic", "TCVN 11041-2:2017/HC-0419", "Tổ chức chứng nhận Demo", 200, -530),
]


def _certificates(demo: _Demo) -> None:
    """The cooperatives record their areas' certificates."""
    for key, kind, number, issuer, from_days, to_days in CERTIFICATES:
        demo.clock.tick()
        coop = demo.coop_user(next(s.coop for s in AREAS if s.key == key))
        services.add_certificate(
            demo.actor(coop),
            demo.areas[key],
            {
                "kind": kind,
                "number": number,
                "issuer": issuer,
                # In force before the (shifted) season, as the written days say.
                "valid_from": demo.clock.day(from_days + demo.clock.shift),
                "valid_to": demo.clock.day(to_days),
            },
        )


def _code_change(demo: _Demo, key: str, action: str, reason: str, until_in_days=None) -> None:
    holder = demo.areas[key]
    officer = demo.actor("officer")
    if action == "suspend":
        # counted from the real today, so the suspension is still running
        until = demo.clock.today + timedelta(days=until_in_days) if until_in_days else None
        lifecycle.suspend(holder, officer, reason, until)
    elif action == "reinstate":
        lifecycle.reinstate(holder, officer, reason)
    else:
        lifecycle.revoke(holder, officer, reason)


def _newcomer(demo: _Demo) -> None:
    """A household joins issued area A1: the change opens a change application."""
    coop = demo.actor("coop")
    area = demo.areas["A1"]
    household = services.create_household(
        coop,
        {
            "name": _person(demo, 0.3),
            "commune": demo.units["kp"].pk,
            "national_id": _national_id(demo),
            "address": f"Buôn Ea Kly, {demo.units['kp'].name}",
        },
    )
    lon, lat = _offset(*demo.plot_centres["A1"][0], 0, 3 * GRID_M)
    services.save_plot(
        coop,
        {
            "household": household.pk,
            "area": area.pk,
            "label": "Tờ 31, thửa 412",
            "geometry": quadrilateral(demo.rng, lon, lat, 0.8),
            "planting_year": 2020,
        },
    )
    members = list(area.households.values_list("pk", flat=True))
    services.set_area_households(coop, area, [*members, household.pk])
    area.refresh_from_db()
    services.update_area(
        coop,
        area,
        {
            "declared_area_ha": area.measured_area_ha.quantize(Decimal("0.01")),
            "reason": "Bổ sung hộ tham gia và diện tích thửa mới.",
        },
    )


REASONS = {
    "withdraw_B3": "Doanh nghiệp tạm dừng đăng ký mã xuất khẩu cho vùng này.",
    "withdraw_auth": "Hợp đồng tiêu thụ với Công ty Hoàng Phát đã chấm dứt.",
    "suspend_B1": "Nhật ký canh tác không được ghi chép trong vụ 2025.",
    "reinstate_B1": "Đã bổ sung nhật ký canh tác; kiểm tra lại đạt yêu cầu.",
    "suspend_A2": "Phát hiện rệp sáp (Dysmicoccus sp.), đối tượng kiểm dịch thực vật của "
    "Trung Quốc, trên lô hàng xuất khẩu; tạm dừng để khắc phục.",
    "revoke_D5": "Lô hàng xuất khẩu phát hiện Cadimi vượt giới hạn tối đa; thu hồi mã theo đề "
    "nghị của Cục Bảo vệ thực vật.",
    "suspend_E1": "Sản lượng xuất khẩu khai báo vượt xa năng lực của vùng trồng: nghi mã số bị "
    "sử dụng cho hàng không có nguồn gốc từ vùng.",
    "return_C2": "Thửa thứ nhất của vùng chồng lấn với thửa đã cấp mã của vùng cà phê Robusta "
    "Buôn Sah; đề nghị đo vẽ lại ranh giới và bổ sung giấy tờ đất.",
    "reject_E4": "Kiểm tra thực địa phát hiện rầy nâu mật độ cao và không có nhật ký canh tác; "
    "vùng trồng chưa đáp ứng yêu cầu.",
}

#: Days ago each area is registered (the issued ones first, two days apart).
CREATED = {"A1": 178, "A2": 176, "A3": 174, "C1": 172, "D5": 170, "E1": 168, "B1": 166, "B3": 95,
           "E4": 70, "A4": 40, "E3": 35, "C2": 24, "E2": 20, "C3": 18, "B2": 3}  # fmt: skip


def _story(demo: _Demo) -> None:
    line = _Timeline()
    by_key = {s.key: s for s in AREAS}
    # The season's story (the issued codes, their approvals and rights, the diaries and the
    # produce chains) moves back by the clock's shift so its harvests fall in the crop's
    # season calendar; the rest stays on its written days before the build day. Moving the
    # older part back keeps every step after the ones it needs.
    s = demo.clock.shift
    issued = ["A1", "A2", "A3", "C1", "D5", "E1", "B1"]

    # Registration: areas, their households and plots; two households log in themselves.
    for key, days_ago in CREATED.items():
        line.on(days_ago + (s if key in issued else 0), _make_area, demo, by_key[key])
    line.on(165 + s, _link_household_organisation, demo, "A1", 0, "household1")
    line.on(165 + s, _link_household_organisation, demo, "A1", 1, "household2")
    line.on(164 + s, _make_packing_house, demo, "PH1", "packing", "kp",
            "Cơ sở đóng gói sầu riêng Phúc Thịnh", 60)  # fmt: skip

    # Seven areas and the packing house go all the way to a code (VN-DLOR-0001 is A1).
    for i, key in enumerate(issued):
        _walk(demo, line, key, 160 - 2 * i + s, "issue", demo.coop_user(by_key[key].coop))
    _walk(demo, line, "PH1", 150 + s, "issue", "packing")

    # China's approval: the province files, the Plant Protection Department sends, China
    # approves with its list reference; A3 is still waiting.
    durian = ["A1", "A2", "A3", "D5", "E1", "PH1"]
    line.on(130 + s, _approvals, demo, durian, "submit", "officer")
    line.on(122 + s, _approvals, demo, durian, "send", "ministry")
    line.on(100 + s, _approvals, demo, ["A1", "A2", "D5", "E1"], "approve", "ministry",
            importer_list_ref="GACC durian orchards, demo list 2025-08")  # fmt: skip
    line.on(100 + s, _approvals, demo, ["PH1"], "approve", "ministry",
            importer_list_ref="GACC packing houses, demo list 2025-08")  # fmt: skip

    # Who may use which code, and where the packing house buys.
    grants = [("A1", "coop", "exporter1"), ("A1", "coop", "packing1"),
              ("A2", "coop", "exporter2"), ("A3", "coop", "exporter2"),
              ("D5", "coop2", "exporter1"), ("E1", "coop3", "exporter2")]  # fmt: skip
    line.on(96 + s, _authorise, demo, grants)
    line.on(92 + s, _supply_contracts, demo, "PH1", ["A1", "A2", "E1"])
    line.on(158 + s, _certificates, demo)
    line.on(80, _withdraw, demo, "A3", "exporter2", REASONS["withdraw_auth"])

    # A withdrawn file.
    line.on(90, _move, demo, "B3", "submit", "coop4")
    line.on(86, _move, demo, "B3", "withdraw", "coop4", reason=REASONS["withdraw_B3"])

    # Codes after issuance: a suspension lifted, one until a date, one open-ended, a revocation.
    line.on(75, _code_change, demo, "B1", "suspend", REASONS["suspend_B1"])
    line.on(60, _code_change, demo, "B1", "reinstate", REASONS["reinstate_B1"])
    line.on(40, _code_change, demo, "A2", "suspend", REASONS["suspend_A2"], 20)
    line.on(25, _code_change, demo, "D5", "revoke", REASONS["revoke_D5"])
    line.on(10, _code_change, demo, "E1", "suspend", REASONS["suspend_E1"])

    # E4: the field inspection finds pests and no diary; the file is rejected.
    _walk(demo, line, "E4", 66, "schedule_inspection", "coop3")
    failed = {**CHECKLIST_PASS, "pests": "fail", "diary": "fail"}
    line.on(56, _record_inspection, demo, "E4", failed, "Rầy nâu mật độ cao; không có nhật ký.")
    line.on(54, _move, demo, "E4", "reject", "officer", reason=REASONS["reject_E4"])

    # A4: appraisal started a month ago and never finished: overdue.
    _walk(demo, line, "A4", 32, "start_appraisal", "coop")
    # C2: returned, one of its plots overlaps a plot of issued area C1.
    line.on(20, _move, demo, "C2", "submit", "coop2")
    line.on(19, _move, demo, "C2", "start_appraisal", "inspector")
    line.on(15, _move, demo, "C2", "return", "inspector", reason=REASONS["return_C2"])
    # E3: inspected and approved, waiting for its code.
    _walk(demo, line, "E3", 18, "approve", "coop3")
    # E2: accepted; its field inspection is booked for next week.
    line.on(16, _move, demo, "E2", "submit", "coop3")
    line.on(14, _move, demo, "E2", "start_appraisal", "inspector")
    line.on(9, _move, demo, "E2", "accept", "inspector")
    line.on(8, _move, demo, "E2", "schedule_inspection", "inspector",
            scheduled_for=demo.clock.today + timedelta(days=4),
            inspector=demo.users["inspector"])  # fmt: skip
    # Two more packing houses apply; B2 (declared twice what it measures) is submitted; C3
    # stays a draft; and a household joins issued area A1, which opens a change application.
    line.on(12, _make_packing_house, demo, "PH2", "packing2", "ek",
            "Cơ sở Đóng gói Sầu riêng Ea Kar", 40)  # fmt: skip
    line.on(12, _make_packing_house, demo, "PH3", "packing3", "bmt",
            "Kho đóng gói Tây Nguyên – Tân An", 80)  # fmt: skip
    line.on(1, _move, demo, "PH2", "submit", "packing2")
    line.on(1, _move, demo, "B2", "submit", "coop4")
    line.on(1, _newcomer, demo)

    # The season's farm diaries, and the province's supervision of the issued codes.
    for days_ago, step in diary_steps(demo.actor, demo.households):
        line.on(days_ago + s, step)
    supervision = supervision_steps(
        demo.actor("inspector"), demo.actor("lab"), lambda: _supervision_cast(demo)
    )
    for days_ago, step in supervision:
        line.on(days_ago, step)
    # The produce: harvests, packing, inspection and shipping as EPCIS events, and stamps.
    for days_ago, step in chain_steps(demo.actor, lambda: _chain_cast(demo)):
        line.on(days_ago + s, step)
    # C1's coffee for the EU: harvested in the coffee season, bagged, shipped by the first
    # exporter to Hamburg; a forest baseline layer overlapping one plot (eudr.demo).
    eudr = eudr_steps(demo.actor, lambda: _eudr_cast(demo), demo.clock.today, PROVINCE, s)
    for days_ago, step in eudr:
        line.at_hour(days_ago, 9, step)
    # Codes rented, borrowed and used while suspended, a copied stamp; then the misuse scan.
    for days_ago, step in misuse_steps(demo.actor, lambda: _misuse_cast(demo), shift=s):
        line.on(days_ago, step)
    # The plans' targets, training classes, and the half-year and annual reports.
    for days_ago, step in reports_steps(demo.actor, lambda: _reports_cast(demo)):
        line.on(days_ago, step)
    # Lai Châu's tea from a cooperative's area, dried at a processing facility, stamped.
    for days_ago, step in laichau_steps(DEMO_PASSWORD):
        line.on(days_ago, step)

    line.run(demo)


def _reports_cast(demo: _Demo) -> ReportsCast:
    return ReportsCast(
        households=list(demo.households["A1"]),
        cooperative=demo.orgs["coop1"],
        commune=demo.units["kp"],
    )


def _chain_cast(demo: _Demo) -> ChainCast:
    """A1's and E1's durian through packing house PH1, shipped to the first exporter."""

    def area(key: str) -> PlantingArea:
        return PlantingArea.objects.select_related("crop").get(pk=demo.areas[key].pk)

    return ChainCast(
        a1=area("A1"),
        e1=area("E1"),
        house=PackingHouse.objects.select_related("operator").get(pk=demo.apps["PH1"].subject.pk),
        exporter=demo.orgs["exporter1"],
        households={"A1": demo.households["A1"], "E1": demo.households["E1"]},
    )


def _eudr_cast(demo: _Demo) -> EudrCast:
    return EudrCast(
        area=PlantingArea.objects.select_related("crop").get(pk=demo.areas["C1"].pk),
        households=list(demo.households["C1"]),
        exporter=demo.orgs["exporter1"],
    )


def _misuse_cast(demo: _Demo) -> MisuseCast:
    def area(key: str) -> PlantingArea:
        return PlantingArea.objects.select_related("crop").get(pk=demo.areas[key].pk)

    return MisuseCast(
        a1=area("A1"),
        a2=area("A2"),
        a3=area("A3"),
        house=PackingHouse.objects.select_related("operator").get(pk=demo.apps["PH1"].subject.pk),
        rented_by=demo.orgs["exporter2"],
        province=demo.units["province"],
    )


def _supervision_cast(demo: _Demo) -> Cast:
    """A1 passes its visit; C1's visit finds pesticide packaging in a ditch; A3, where a
    banned product is in the diary, has a sample above China's limit; E1 has fruit flies; the
    packing house gets a surprise visit and an importing country's notice."""

    def area(key: str) -> PlantingArea:
        return PlantingArea.objects.select_related("crop").get(pk=demo.areas[key].pk)

    return Cast(
        passed=area("A1"),
        corrective=area("C1"),
        failing=area("A3"),
        clean=[area("A1"), area("E1"), area("C1")],
        pests=area("E1"),
        house=PackingHouse.objects.get(pk=demo.apps["PH1"].subject.pk),
    )
