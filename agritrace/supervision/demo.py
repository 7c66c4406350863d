"""Supervision in the demo province: the year's monitoring plan and residue programme,
visits recorded (one passed, one with corrective actions), a surprise visit to a packing
house, samples with results (one above a market's limit: a case, a flag for that market and
a follow-up sample, which is taken and waits at the laboratory), a quarantine pest found, and
an importing country's notice under investigation.

Everything goes through the services acting as the inspector and the laboratory, so audit
entries and notifications are the real ones. `supervision_steps` gives (days ago, step)
pairs that agritrace.demo puts on its timeline, with the areas cast in their parts when the
steps run (codes are issued by then). `build_supervision_demo` runs the same story on the
issued codes of a database, moving a clock with `at(days_ago)` if given:

    build_supervision_demo(inspector, lab, at=clock.at)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from agritrace.accounts.access import Actor, visible
from agritrace.registry.models import CodeStatus, PackingHouse, PlantingArea

from . import services
from .models import ChecklistTemplate, MonitoringPlan, MonitoringVisit, Sample, SampleStatus

#: What the laboratory is asked to test, per crop (names of the input catalogue).
ANALYSES = {
    "durian": ["Chlorpyrifos ethyl", "Carbendazim", "Hexaconazole", "Metalaxyl"],
    "coffee": ["Chlorpyrifos ethyl", "Imidacloprid"],
}
DEFAULT_ANALYSES = ["Chlorpyrifos ethyl", "Carbendazim"]
#: The result above China's (demo) limit of 0.05 mg/kg for chlorpyrifos on durian.
FAILING = ("Chlorpyrifos ethyl", "0.12")
LOQ = "0.01"
RESIDUE_PLAN_SOURCE = (
    "An Giang decision 1753/QĐ-UBND: 100 samples a year (used here as the demo's figure)"
)

#: Days ago of each step, oldest first.
DAYS = {
    "plan": 130,
    "visit_passed": 100,
    "visit_corrective": 90,
    "samples": 70,
    "results": 62,
    "pests": 55,
    "follow_up": 47,
    "surprise": 40,
    "notice": 20,
}


@dataclass
class Cast:
    """The codes that play a part in the story."""

    passed: PlantingArea  # visited, everything in order; a clean sample
    corrective: PlantingArea  # visited, pesticide packaging left in a ditch
    failing: PlantingArea  # its sample is above a target market's limit
    clean: list[PlantingArea] = field(default_factory=list)  # more samples, within limits
    pests: PlantingArea | None = None  # a quarantine pest found
    house: PackingHouse | None = None  # a surprise visit; named in the notice


def _days_from_now(step_days_ago: int, days: int):
    """A date `days` after the story's present, seen from a step `step_days_ago` back (the
    surprise visits are still to come when the story ends)."""
    return timezone.localdate() + timedelta(days=step_days_ago + days)


def _passing(kind: str) -> dict:
    return {i.key: "pass" for i in ChecklistTemplate.current(kind).items.all()}


def _analyses(area: PlantingArea) -> list[str]:
    return ANALYSES.get(area.crop.code, DEFAULT_ANALYSES)


class _Story:
    def __init__(self, inspector: Actor, lab: Actor, cast: Callable[[], Cast | None]) -> None:
        self.inspector, self.lab, self._cast = inspector, lab, cast
        self.cast: Cast | None = None
        self.plan: MonitoringPlan | None = None
        self.samples: list[Sample] = []
        self.made = {"visits_recorded": 0, "samples": 0, "cases": 0, "notices": 0}

    @property
    def province(self):
        return self.inspector.organisation.unit.province

    def plan_year(self) -> None:
        self.cast = self._cast()
        if self.cast is None:
            return
        today = timezone.localdate()
        services.set_residue_plan(
            self.inspector, self.province, today.year, 100, RESIDUE_PLAN_SOURCE
        )
        # A plan for the twelve months from today, so that every crop's season falls in it.
        self.plan = services.generate_plan(
            self.inspector, self.province, str(today.year), today, today + timedelta(days=364)
        )

    def _visit(self, area: PlantingArea) -> MonitoringVisit | None:
        return self.plan.visits.filter(area=area, recorded_at=None).order_by("due_date").first()

    def _position(self, area: PlantingArea) -> dict:
        plot = area.plots.order_by("pk").first()
        if plot is None or plot.centroid_lon is None:
            return {}
        return {"lon": round(plot.centroid_lon, 6), "lat": round(plot.centroid_lat, 6)}

    def visit_passed(self) -> None:
        if self.cast is None or (visit := self._visit(self.cast.passed)) is None:
            return
        services.record_visit(
            self.inspector,
            visit,
            _passing("area"),
            notes="Vườn sạch, nhật ký đầy đủ.",
            **self._position(self.cast.passed),
        )
        self.made["visits_recorded"] += 1

    def visit_corrective(self) -> None:
        if self.cast is None or (visit := self._visit(self.cast.corrective)) is None:
            return
        items = _passing("area")
        items["pesticide_packaging"] = {
            "result": "fail",
            "note": "Vỏ chai thuốc BVTV vứt ở mương nước",
        }
        services.record_visit(
            self.inspector,
            visit,
            items,
            corrective_deadline=timezone.localdate() + timedelta(days=30),
            **self._position(self.cast.corrective),
        )
        self.made["visits_recorded"] += 1

    def take_samples(self) -> None:
        if self.cast is None:
            return
        for n, area in enumerate([self.cast.failing, *self.cast.clean], start=1):
            self.samples.append(
                services.register_sample(
                    self.inspector,
                    {
                        "area": area.pk,
                        "plot_or_lot": f"Lô {n}",
                        "sampled_on": timezone.localdate(),
                        "laboratory": self.lab.organisation.pk,
                        "analyses": _analyses(area),
                    },
                )
            )
        self.made["samples"] = len(self.samples)

    def enter_results(self) -> None:
        for n, sample in enumerate(self.samples):
            for ingredient in sample.analyses:
                failing = n == 0 and ingredient.lower() == FAILING[0].lower()
                _result, cases = services.enter_result(
                    self.lab,
                    sample,
                    {
                        "ingredient": ingredient,
                        "value_mg_kg": FAILING[1] if failing else "0.005",
                        "loq_mg_kg": LOQ,
                        "analysed_on": timezone.localdate(),
                    },
                )
                self.made["cases"] += len(cases)

    def observe_pests(self) -> None:
        if self.cast is None or self.cast.pests is None:
            return
        services.record_observation(
            self.inspector,
            {
                "area": self.cast.pests.pk,
                "observed_on": timezone.localdate(),
                "pest": "bactrocera-correcta",
                "incidence_pct": Decimal("3"),
                "note": "Bẫy dẫn dụ: 2 con/bẫy/tuần",
            },
        )

    def take_follow_up(self) -> None:
        if not self.samples:
            return
        follow = Sample.objects.filter(
            follow_up_of=self.samples[0], status=SampleStatus.PLANNED
        ).first()
        if follow is not None:
            services.take_sample(self.inspector, follow, timezone.localdate(), "Lô 1 (lấy lại)")
            self.made["samples"] += 1

    def surprise(self) -> None:
        if self.cast is None or self.cast.house is None:
            return
        services.schedule_visit(
            self.inspector,
            self.cast.house,
            _days_from_now(DAYS["surprise"], 5),
            inspector=self.inspector.user,
            reason="Kiểm tra đột xuất quy trình một chiều",
        )

    def notice(self) -> None:
        if self.cast is None:
            return
        holder = self.cast.house or self.cast.passed
        holder.refresh_from_db()
        notice = services.register_notice(
            self.inspector,
            {
                "market": "CN",
                "reference": f"GACC-{timezone.localdate().year}-DEMO-01",
                "received_on": timezone.localdate(),
                "shipment_reference": "TCLU 123456-7",
                "codes": [holder.code],
                "hazard": "dye",
                "detail": "Auramine O trên vỏ sầu riêng (demo)",
            },
        )
        services.investigate_notice(
            self.inspector,
            notice,
            visit_due=_days_from_now(DAYS["notice"], 3),
            inspector=self.inspector.user,
        )
        self.made["notices"] += 1

    def steps(self) -> list[tuple[int, Callable[[], None]]]:
        return [
            (DAYS["plan"], self.plan_year),
            (DAYS["visit_passed"], self.visit_passed),
            (DAYS["visit_corrective"], self.visit_corrective),
            (DAYS["samples"], self.take_samples),
            (DAYS["results"], self.enter_results),
            (DAYS["pests"], self.observe_pests),
            (DAYS["follow_up"], self.take_follow_up),
            (DAYS["surprise"], self.surprise),
            (DAYS["notice"], self.notice),
        ]


def supervision_steps(
    inspector: Actor, lab: Actor, cast: Callable[[], Cast | None]
) -> list[tuple[int, Callable[[], None]]]:
    """(days ago, step) pairs of the story; `cast` is called by the first step."""
    return _Story(inspector, lab, cast).steps()


def cast_from_issued(inspector: Actor) -> Cast | None:
    """Parts given to the inspector's province's issued codes in code order: the first passes
    its visit and fails its sample, the second gets corrective actions, the last has pests."""
    province = inspector.organisation.unit.province
    areas = list(
        visible(
            inspector,
            PlantingArea.objects.filter(code_status=CodeStatus.ISSUED, commune__parent=province),
        ).order_by("code")
    )
    if not areas:
        return None
    house = (
        visible(
            inspector,
            PackingHouse.objects.filter(code_status=CodeStatus.ISSUED, commune__parent=province),
        )
        .order_by("code")
        .first()
    )
    return Cast(
        passed=areas[0],
        corrective=areas[1] if len(areas) > 1 else areas[0],
        failing=areas[0],
        clean=areas[1:4],
        pests=areas[-1],
        house=house,
    )


def build_supervision_demo(
    inspector: Actor, lab: Actor, at: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Run the story now on the issued codes of the inspector's province."""
    story = _Story(inspector, lab, lambda: cast_from_issued(inspector))
    for days_ago, step in story.steps():
        if at is not None:
            at(days_ago)
        step()
        if story.cast is None:
            break
    return story.made
