"""The demo's Lai Châu chain (issue 12: every product of the traceability plans,
002_6ca3bb986dbac139.txt): a tea cooperative's planting area in Xã Tân Uyên whose code the
province's plant-protection office issues, a harvest of fresh tea, received and dried at a
processing facility, and the dried tea stamped; a forest plot of Lai Châu ginseng as a
non-crop production unit. Everything goes through the services, as the people would record
it. Names, places, quantities and the ratio are demo values, not official or measured ones.

`laichau_steps(password)` gives (days ago, step) pairs for agritrace.demo's timeline;
`laichau_stamp_uri()` one stamp of the dried tea to scan."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from agritrace.accounts.access import Actor
from agritrace.accounts.models import Membership, Organisation, OrgKind, Role
from agritrace.places.models import AdminUnit, ProvinceAbbreviation
from agritrace.places.services import find_commune, find_province
from agritrace.products import processing, registration
from agritrace.registry import lifecycle, services
from agritrace.registry.lifecycle import INSPECTION_CHECKLIST
from agritrace.registry.models import Crop, PlantingArea
from agritrace.stamps import services as stamps
from agritrace.stamps.models import StampBatch
from agritrace.trace import builders, recording
from agritrace.trace import services as trace

PROVINCE = "Lai Châu"
COMMUNE = "Tân Uyên"
CENTRE = (103.745, 22.175)  # near Tân Uyên's tea hills (approximate, for the demo map)
DEMO_SOURCE = "demo value, not an official or measured figure"
#: (username, organisation key, role, full name)
USERS = [
    ("laichau_officer", "ppo", Role.INSPECTOR, "Lò Văn Thành"),
    ("laichau_coop", "coop", Role.MANAGER, "Tao Thị Liên"),
    ("laichau_processor", "processor", Role.MANAGER, "Vàng A Sử"),
]
LAICHAU_USERNAMES = [u[0] for u in USERS]
ORGANISATIONS = {
    "ppo": (OrgKind.PLANT_PROTECTION, "province", "Chi cục Trồng trọt và BVTV Lai Châu"),
    "coop": (OrgKind.REPRESENTATIVE, "commune", "HTX Chè Tân Uyên"),
    "processor": (OrgKind.PROCESSOR, "commune", "Công ty Chè Tân Uyên"),
}
HOUSEHOLDS = ["Lò Thị Xuân", "Tao Văn Hương", "Lường Thị Mai"]
STAMPS = 20
#: Days ago of each step.
DAYS = {
    "start": 46,
    "submit": 45,
    "appraise": 44,
    "inspect": 40,
    "issue": 38,
    "facility": 36,
    "diary": 30,
    "harvest": 12,
    "receive": 11,
    "process": 10,
    "stamps": 9,
}


class _Chain:
    def __init__(self, password: str) -> None:
        self.password = password
        self.orgs: dict[str, Organisation] = {}
        self.users: dict[str, object] = {}
        self.area: PlantingArea | None = None
        self.app = None
        self.facility = None
        self.lots: dict[str, str] = {}

    def actor(self, key: str) -> Actor:
        return Actor.of(self.users[key])

    # ------------------------------------------------------------------ the steps

    def start(self) -> None:
        province = find_province(PROVINCE)
        commune = find_commune(province, COMMUNE) or (
            AdminUnit.objects.filter(parent=province).order_by("code").first()
        )
        where = {"province": province, "commune": commune}
        for key, (kind, place, name) in ORGANISATIONS.items():
            self.orgs[key] = Organisation.objects.create(
                name=name,
                kind=kind,
                unit=where[place],
                email=f"laichau-{key}@example.org",
                address=where[place].full_name(),
            )
        for username, org_key, role, full_name in USERS:
            family, _sep, given = full_name.partition(" ")
            user = get_user_model().objects.create_user(
                username=username,
                password=self.password,
                email=f"{username}@example.org",
                first_name=given,
                last_name=family,
            )
            Membership.objects.create(user=user, organisation=self.orgs[org_key], role=role)
            self.users[org_key] = user
        if not ProvinceAbbreviation.objects.filter(province=province, active=True).exists():
            ProvinceAbbreviation.objects.create(
                province=province, abbreviation="LC", source=DEMO_SOURCE
            )
        coop = self.actor("coop")
        tea = Crop.objects.get(code="tea")
        self.area, self.app = services.create_area(
            coop,
            {
                "name": "Vùng chè Tân Uyên",
                "crop": tea.pk,
                "commune": commune.pk,
                "village": "Bản Nà Cơ",
                "declared_area_ha": Decimal("2.7"),
                "expected_yield_t": 20,
                "harvests_per_year": 4,
            },
        )
        members = []
        for i, name in enumerate(HOUSEHOLDS):
            household = services.create_household(
                coop,
                {
                    "name": name,
                    "commune": commune.pk,
                    "national_id": f"0120{9600000 + i:08d}",
                    "address": f"Bản Nà Cơ, {commune.name}",
                },
            )
            members.append(household.pk)
            services.save_plot(
                coop,
                {
                    "household": household.pk,
                    "area": self.area.pk,
                    "label": f"C{i + 1}",
                    "geometry": _square(CENTRE[0] + i * 0.0025, CENTRE[1], 95),
                    "planting_year": 2012 + i,
                },
            )
        services.set_area_households(coop, self.area, members)

    def move(self, *actions: str) -> None:
        for action in actions:
            data: dict = {}
            if action == "schedule_inspection":
                data = {"scheduled_for": timezone.localdate() + timedelta(days=1)}
            if action == "record_inspection":
                data = {"checklist": {k: "pass" for k, _label in INSPECTION_CHECKLIST}}
            who = "coop" if action == "submit" else "ppo"
            self.app = lifecycle.transition(self.app, action, self.actor(who), **data)

    def facility_and_units(self) -> None:
        ppo = self.actor("ppo")
        self.facility = registration.register_facility(
            ppo,
            {
                "name": "Xưởng chế biến chè Tân Uyên",
                "address": "Khu 3, " + self.area.commune.name,
                "commune": self.area.commune_id,
                "capacity_t_per_day": "3",
                "operator": self.orgs["processor"].pk,
                "products": ["dried-tea"],
                "lon": CENTRE[0] + 0.01,
                "lat": CENTRE[1] - 0.006,
            },
        )
        ratio_source = "demo configuration: " + DEMO_SOURCE
        registration.set_ratio(ppo, "tea", "dried-tea", "0.25", ratio_source)
        registration.register_unit(
            self.actor("coop"),
            {
                "kind": "forest_plot",
                "identifier": "LC-TU-TK12-L3",
                "name": "Lô sâm dưới tán rừng",
                "product": "laichau-ginseng",
                "commune": self.area.commune_id,
                "geometry": _square(CENTRE[0] - 0.01, CENTRE[1] + 0.008, 120),
            },
        )

    def diary(self) -> None:
        """The households' diary of the season: the tea bushes pruned before the picking (a
        harvest without a diary entry in its season is a misuse finding)."""
        from agritrace.diary import services as diary

        for plot in self.area.plots.all():
            diary.record_entry(
                self.actor("coop"),
                {
                    "kind": "pruning",
                    "date": timezone.localdate(),
                    "plot": plot.pk,
                    "notes": "Đốn tạo tán, làm cỏ trước vụ hái",
                },
            )

    def harvest(self) -> None:
        area = PlantingArea.objects.select_related("crop", "commune__parent").get(pk=self.area.pk)
        lot = trace.lot_uri(area.code, builders.next_lot_code(area.code, timezone.localdate()))
        built = builders.harvest(
            area=area,
            lot=lot,
            harvest_date=timezone.localdate(),
            amount=Decimal("1500"),
            uom="KGM",
            plots=list(area.plots.all()),
            households=list(area.households.all()),
            moment=timezone.now(),
        )
        recording.capture(self.actor("coop"), [built])
        self.lots["fresh"] = lot

    def receive(self) -> None:
        built = builders.receiving(
            lots=[(self.lots["fresh"], Decimal("1500"), "KGM", "lot_0_")],
            location=processing.facility_location(self.facility),
            moment=timezone.now(),
            receiver=self.orgs["processor"],
            doc_number="PN-2026-031",
            purchase=True,
        )
        recording.capture(self.actor("processor"), [built])

    def process(self) -> None:
        made = processing.record_processing(
            self.actor("processor"),
            {
                "facility": self.facility.pk,
                "product": "dried-tea",
                "inputs": [{"lot": self.lots["fresh"], "quantity": "1500", "unit": "KGM"}],
                "output_quantity": "360",
                "output_unit": "KGM",
            },
        )
        self.lots["dried"] = made.lot

    def stamp(self) -> None:
        stamps.request_stamps(self.actor("processor"), self.lots["dried"], STAMPS)


def _square(lon: float, lat: float, side_m: float) -> dict:
    import math

    dlat = side_m / 111_320
    dlon = side_m / (111_320 * math.cos(math.radians(lat)))
    ring = [[lon, lat], [lon + dlon, lat], [lon + dlon, lat + dlat], [lon, lat + dlat], [lon, lat]]
    return {"type": "Polygon", "coordinates": [[[round(x, 7), round(y, 7)] for x, y in ring]]}


class _Step:
    """A step at a fixed hour (`demo_hour`): the demo's timeline then draws nothing from its
    random generator for it, so the Đắk Lắk story stays exactly as it was."""

    def __init__(self, func: Callable[[], None], hour: int = 10) -> None:
        self.func, self.demo_hour = func, hour
        self.chain = getattr(func, "__self__", None)

    def __call__(self) -> None:
        self.func()


def laichau_steps(password: str) -> list[tuple[int, Callable[[], None]]]:
    chain = _Chain(password)
    steps = [
        (DAYS["start"], chain.start),
        (DAYS["submit"], lambda: chain.move("submit")),
        (DAYS["appraise"], lambda: chain.move("start_appraisal", "accept")),
        (DAYS["inspect"], lambda: chain.move("schedule_inspection", "record_inspection")),
        (DAYS["issue"], lambda: chain.move("approve", "issue")),
        (DAYS["facility"], chain.facility_and_units),
        (DAYS["diary"], chain.diary),
        (DAYS["harvest"], chain.harvest),
        (DAYS["receive"], chain.receive),
        (DAYS["process"], chain.process),
        (DAYS["stamps"], chain.stamp),
    ]
    return [(days, _Step(func)) for days, func in steps]


def laichau_stamp_uri() -> str | None:
    """A stamp of the demo's dried tea (the Lai Châu chain), to scan."""
    batch = (
        StampBatch.objects.filter(requested_by__email="laichau-processor@example.org")
        .order_by("pk")
        .first()
    )
    if batch is None:
        return None
    stamp = batch.stamps.order_by("pk").first()
    return stamps.stamp_uri(stamp, batch) if stamp else None
