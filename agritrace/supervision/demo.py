"""Supervision in the demo province: this year's monitoring plan and residue programme,
visits recorded (one passed, one with corrective actions), an overdue surprise visit,
samples with results (one above China's limit: a case, a flag and a follow-up sample), a
quarantine pest found, and an importing country's notice under investigation.

Everything goes through the services acting as the inspector and the laboratory, so audit
entries and notifications are the real ones. `at(days_ago)` moves the demo's simulated
clock (agritrace.demo) so the story's dates look like real use; without it, all happens
today. Call after the registry's codes are issued:

    from agritrace.supervision.demo import build_supervision_demo
    build_supervision_demo(demo.actor("inspector"), demo.actor("lab"), at=demo.clock.at)
"""

from collections.abc import Callable
from datetime import date, timedelta

from django.utils import timezone

from agritrace.accounts.access import Actor, visible
from agritrace.registry.models import CodeStatus, PackingHouse, PlantingArea

from . import services
from .models import ChecklistTemplate, Notice

ANALYSES = ["chlorpyrifos", "cypermethrin", "carbendazim", "hexaconazole"]


def _passing(kind: str) -> dict:
    return {i.key: "pass" for i in ChecklistTemplate.current(kind).items.all()}


def build_supervision_demo(
    inspector: Actor, lab: Actor, at: Callable[[int], None] | None = None
) -> dict[str, int]:
    move = at or (lambda _days_ago: None)
    province = inspector.organisation.unit.province
    areas = list(
        visible(
            inspector,
            PlantingArea.objects.filter(code_status=CodeStatus.ISSUED, commune__parent=province),
        ).order_by("code")
    )
    houses = list(
        visible(
            inspector,
            PackingHouse.objects.filter(code_status=CodeStatus.ISSUED, commune__parent=province),
        ).order_by("code")
    )
    made = {"visits_recorded": 0, "samples": 0, "cases": 0, "notices": 0}
    if not areas:
        return made

    move(60)
    year = timezone.localdate().year
    services.set_residue_plan(
        inspector, province, year, 100, "An Giang decision 1753/QĐ-UBND: 100 samples a year"
    )
    plan = services.generate_plan(
        inspector, province, str(year), date(year, 1, 1), date(year, 12, 31)
    )

    move(45)
    visits = list(plan.visits.filter(area__in=areas).order_by("pk"))
    if visits:
        services.record_visit(
            inspector, visits[0], _passing("area"), notes="Vườn sạch, nhật ký đầy đủ."
        )
        made["visits_recorded"] += 1
    if len(visits) > 1:
        items = _passing("area")
        items["pesticide_packaging"] = {
            "result": "fail",
            "note": "Vỏ chai thuốc BVTV vứt ở mương nước",
        }
        services.record_visit(
            inspector,
            visits[1],
            items,
            corrective_deadline=timezone.localdate() + timedelta(days=30),
        )
        made["visits_recorded"] += 1

    move(40)
    if houses:
        services.schedule_visit(
            inspector,
            houses[0],
            timezone.localdate() + timedelta(days=5),
            reason="Kiểm tra đột xuất quy trình một chiều",
        )

    move(30)
    samples = []
    for n, area in enumerate(areas[:4]):
        samples.append(
            services.register_sample(
                inspector,
                {
                    "area": area.pk,
                    "plot_or_lot": f"Lô {n + 1}",
                    "sampled_on": timezone.localdate(),
                    "laboratory": lab.organisation.pk,
                    "analyses": ANALYSES[:2],
                },
            )
        )
    made["samples"] = len(samples)

    move(25)
    for n, sample in enumerate(samples):
        for ingredient in sample.analyses:
            value = "0.12" if (n, ingredient) == (0, "chlorpyrifos") else "0.005"
            _result, cases = services.enter_result(
                lab,
                sample,
                {
                    "ingredient": ingredient,
                    "value_mg_kg": value,
                    "loq_mg_kg": "0.01",
                    "analysed_on": timezone.localdate(),
                },
            )
            made["cases"] += len(cases)

    move(20)
    services.record_observation(
        inspector,
        {
            "area": areas[-1].pk,
            "observed_on": timezone.localdate(),
            "pest": "bactrocera-correcta",
            "incidence_pct": "3",
            "note": "Bẫy dẫn dụ: 2 con/bẫy/tuần",
        },
    )

    move(10)
    named = [houses[0].code] if houses else [areas[-1].code]
    notice = services.register_notice(
        inspector,
        {
            "market": "CN",
            "reference": f"GACC-{year}-DEMO-01",
            "received_on": timezone.localdate(),
            "shipment_reference": "TCLU 123456-7",
            "codes": named,
            "hazard": "dye",
            "detail": "Auramine O trên vỏ sầu riêng (demo)",
        },
    )
    services.investigate_notice(
        inspector, notice, visit_due=timezone.localdate() + timedelta(days=3)
    )
    made["notices"] = Notice.objects.filter(pk=notice.pk).count()
    return made
