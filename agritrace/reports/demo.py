"""The demo's plan, training and reports (run by agritrace.demo on its timeline):

* the plans' targets of `data/plan_targets.json` (An Giang's decision 1753/QĐ-UBND per earlier
  district and crop group, and the figures Đắk Lắk's plan reports as already issued), each with
  its source;
* this year's targets of the demo province for the achieved-against-target page, entered by
  the demo's officer and marked in their source as demo figures (no plan states them);
* three training classes (two held, with households and a cooperative, one planned);
* the half-year report, generated and submitted, and the annual report, generated.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from agritrace.accounts.access import Actor
from agritrace.accounts.models import Organisation
from agritrace.audit.services import record, snapshot
from agritrace.places.models import AdminUnit, Level, Tree
from agritrace.places.services import find_province
from agritrace.registry.models import Household

from . import periodic, targets, training
from .models import Target, TargetKind

PLANS = Path(__file__).parent / "data" / "plan_targets.json"
DEMO_SOURCE = "Demo: illustrative figure entered by the demo's officer (not from any plan)"

#: (metric, crop or group, value) of the demo province's illustrative targets this year.
DEMO_TARGETS = [
    ("area_codes", "durian", 12),
    ("hectares", "durian", 60),
    ("packing_houses", "", 4),
    ("residue_samples", "", 20),
    ("training_classes", "", 6),
]

#: days ago of each step (the report is generated at the end of the story).
DAYS = {"plans": 3, "classes": 40, "held": 20, "reports": 0}


@dataclass
class ReportsCast:
    households: list[Household]
    cooperative: Organisation
    commune: AdminUnit


def seed_plan_targets() -> int:
    """The plans' targets with their sources (audited as seeded by the system)."""
    data = json.loads(PLANS.read_text(encoding="utf-8"))
    made = 0
    for plan in data["plans"]:
        province = find_province(plan["province"])
        legacy = None
        if plan.get("legacy_province_code"):
            legacy = AdminUnit.objects.get(
                tree=Tree.LEGACY, level=Level.PROVINCE, code=plan["legacy_province_code"]
            )
        for row in plan["rows"]:
            unit = None
            if row.get("district"):
                unit = next(
                    d
                    for d in AdminUnit.objects.filter(parent=legacy, level=Level.DISTRICT)
                    if targets._bare(d.name) == targets._bare(row["district"])
                )
            crop = row.get("crop", "")
            target = Target.objects.create(
                province=province,
                unit=unit,
                crop_group=crop,
                year=row["year"],
                metric=row["metric"],
                kind=row.get("kind", TargetKind.TARGET),
                cumulative=row.get("cumulative", False),
                value=Decimal(str(row["value"])),
                source=row["source"],
                source_date=plan.get("source_date"),
            )
            record(None, "reports.target.seed", target, None, snapshot(target))
            made += 1
    return made


def _demo_targets(actor: Actor) -> None:
    year = timezone.localdate().year
    for metric, crop, value in DEMO_TARGETS:
        targets.set_target(
            actor,
            targets.TargetData(
                metric=metric, year=year, value=value, crop=crop, source=DEMO_SOURCE
            ),
        )


def _classes(actor: Actor, cast: ReportsCast, ids: list) -> None:
    today = timezone.localdate()
    held, ahead = today + timedelta(days=20), today + timedelta(days=60)
    specs = [
        ("gap", "Tập huấn VietGAP cho sầu riêng", "Nhà văn hóa thôn 3", held),
        ("pesticides", "Sử dụng thuốc BVTV an toàn, hiệu quả", "Hội trường HTX", held),
        ("traceability", "Nhật ký đồng ruộng và truy xuất nguồn gốc", "UBND xã", ahead),
    ]
    for topic, title, place, day in specs:
        cls = training.plan_class(
            actor,
            training.ClassData(
                topic=topic,
                title=title,
                place=place,
                planned_on=day,
                trainer="Chi cục Trồng trọt và BVTV",
                commune_id=cast.commune.pk,
                crop="durian",
                materials="Tài liệu hướng dẫn mã số vùng trồng; sổ nhật ký mẫu",
            ),
        )
        ids.append(cls.pk)


def _held(actor: Actor, cast: Callable[[], ReportsCast], ids: list) -> None:
    c = cast()
    today = timezone.localdate()
    for i, class_id in enumerate(ids[:2]):
        training.record_held(
            actor,
            class_id,
            training.Attendance(
                held_on=today,
                households=[h.pk for h in c.households[i::2]],
                organisations=[c.cooperative.pk],
                outsiders=7 + 5 * i,
            ),
        )


def _reports(actor: Actor) -> None:
    year = timezone.localdate().year
    half = periodic.generate(actor, "half_year", year)
    periodic.submit(actor, half.pk)
    periodic.generate(actor, "annual", year)


def reports_steps(
    actor: Callable[[str], Actor], cast: Callable[[], ReportsCast]
) -> list[tuple[int, Callable]]:
    """(days ago, step) pairs for the demo's timeline."""
    ids: list = []
    return [
        (DAYS["plans"], seed_plan_targets),
        (DAYS["plans"], lambda: _demo_targets(actor("officer"))),
        (DAYS["classes"], lambda: _classes(actor("officer"), cast(), ids)),
        (DAYS["held"], lambda: _held(actor("officer"), cast, ids)),
        (DAYS["reports"], lambda: _reports(actor("officer"))),
    ]
