"""Farm diaries in the demo province: a season of entries by two households that log in
themselves and by cooperatives entering for their members: fertilising, irrigation, sprays,
a flower treatment, fruit bagging and harvests. Some entries break a rule and are kept and
flagged, as real ones would be:

- a harvest four days after a spray whose pre-harvest interval is 14 days (Hộ Nguyễn Văn
  Hùng, area A1);
- a banned product (Demo Chlorpyrifos 480EC) sprayed in area A3, the area whose residue
  sample later comes back above China's limit (see agritrace.supervision.demo);
- imidacloprid sprayed on coffee grown for the EU (area C1).

Everything goes through `services.record_entry` acting as the person who keeps the diary.
`diary_steps` gives (days ago, step) pairs that agritrace.demo puts on its timeline, so each
entry is recorded on the day the work was done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from agritrace.accounts.access import Actor
from agritrace.registry.models import Household

from . import services
from .models import EntryKind, Fertiliser, Pesticide


@dataclass(frozen=True)
class DemoEntry:
    days_ago: int
    user: str  # demo user name: "household", "coop", ...
    area: str  # demo area key
    household: int  # index of the household in its area
    kind: str
    product: str = ""  # a pesticide's trade name or a fertiliser's name
    per_ha: str = ""  # quantity per hectare of the plot, in `unit`
    unit: str = ""
    notes: str = ""


SPRAY, FERT, HARVEST = EntryKind.SPRAYING, EntryKind.FERTILISING, EntryKind.HARVEST
AZOXY = "Demo Azoxystrobin 250SC"  # PHI 14 days on durian
DIFENO = "Demo Difenoconazole 250EC"  # PHI 14 days on durian
METALAXYL = "Demo Metalaxyl 35WP"  # PHI 7 days on durian
IMIDACLOPRID = "Demo Imidacloprid 100SL"  # not allowed for the EU
CHLORPYRIFOS = "Demo Chlorpyrifos 480EC"  # banned in Vietnam
NPK = "NPK 16-16-8"
UREA = "Urea (46% N)"
KCL = "Potassium chloride (KCl, 60% K₂O)"
MANURE = "Demo composted manure"

#: The season, oldest first. Area keys and household indexes are those of agritrace.demo;
#: households 0 and 1 of A1 log in as "household" and "household2".
ENTRIES = [
    # Hộ Nguyễn Văn Hùng (A1): a full season, and a harvest inside a pre-harvest interval.
    DemoEntry(150, "household", "A1", 0, FERT, MANURE, "2000", "KGM", "Bón lót sau thu hoạch"),
    DemoEntry(140, "household", "A1", 0, EntryKind.IRRIGATION, "", "60000", "LTR"),
    DemoEntry(128, "household", "A1", 0, FERT, NPK, "400", "KGM", "Bón thúc ra hoa"),
    DemoEntry(118, "household", "A1", 0, SPRAY, AZOXY, "0.4", "LTR", "Phòng thán thư"),
    DemoEntry(104, "household", "A1", 0, EntryKind.FRUIT_BAGGING, "", "450", "H87"),
    DemoEntry(96, "household", "A1", 0, FERT, KCL, "200", "KGM", "Bón nuôi trái"),
    DemoEntry(88, "household", "A1", 0, SPRAY, DIFENO, "0.4", "LTR", "Phòng nấm hồng"),
    DemoEntry(84, "household", "A1", 0, HARVEST, "", "6000", "KGM", "Cắt đợt 1 cho thương lái"),
    DemoEntry(66, "household", "A1", 0, HARVEST, "", "9000", "KGM", "Cắt đợt 2"),
    # Hộ H’Nga Byă (A1): waits for the interval to run out.
    DemoEntry(146, "household2", "A1", 1, FERT, MANURE, "1500", "KGM"),
    DemoEntry(125, "household2", "A1", 1, FERT, NPK, "350", "KGM"),
    DemoEntry(110, "household2", "A1", 1, SPRAY, METALAXYL, "1.5", "KGM", "Phòng xì mủ"),
    DemoEntry(90, "household2", "A1", 1, SPRAY, AZOXY, "0.45", "LTR"),
    DemoEntry(70, "household2", "A1", 1, HARVEST, "", "12000", "KGM"),
    # The cooperative enters for members who do not use a phone.
    DemoEntry(135, "coop", "A2", 0, FERT, UREA, "150", "KGM"),
    DemoEntry(115, "coop", "A2", 0, SPRAY, DIFENO, "0.35", "LTR"),
    DemoEntry(80, "coop", "A2", 0, HARVEST, "", "10000", "KGM"),
    DemoEntry(132, "coop", "A3", 0, FERT, NPK, "380", "KGM"),
    DemoEntry(100, "coop", "A3", 0, SPRAY, CHLORPYRIFOS, "0.8", "LTR", "Trừ rệp sáp"),
    DemoEntry(126, "coop3", "E1", 0, FERT, NPK, "420", "KGM"),
    DemoEntry(108, "coop3", "E1", 0, SPRAY, METALAXYL, "1.8", "KGM"),
    DemoEntry(76, "coop3", "E1", 0, HARVEST, "", "11000", "KGM"),
    DemoEntry(130, "coop2", "C1", 0, FERT, UREA, "250", "KGM"),
    DemoEntry(112, "coop2", "C1", 0, SPRAY, IMIDACLOPRID, "0.5", "LTR", "Trừ rệp sáp hại cà phê"),
    DemoEntry(
        60, "coop2", "C1", 1, EntryKind.IRRIGATION, "", "400000", "LTR", "Tưới đợt cuối mùa khô"
    ),
]


def _data(entry: DemoEntry, household: Household) -> dict:
    plot = household.plots.filter(area__isnull=False).order_by("pk").first()
    data: dict = {
        "kind": entry.kind,
        "date": timezone.localdate(),
        "plot": plot.pk,
        "notes": entry.notes,
    }
    if entry.per_ha:
        quantity = Decimal(entry.per_ha) * Decimal(str(plot.area_ha))
        data["quantity"] = quantity.quantize(Decimal("0.01") if quantity < 100 else Decimal("1"))
        data["unit"] = entry.unit
    if entry.product:
        pesticide = Pesticide.objects.filter(trade_name=entry.product).first()
        if pesticide is not None:
            data["pesticide"] = pesticide.pk
        else:
            data["fertiliser"] = Fertiliser.objects.get(name=entry.product).pk
    return data


def diary_steps(
    actor: Callable[[str], Actor], households: dict[str, list[Household]]
) -> list[tuple[int, Callable[[], object]]]:
    """(days ago, step) for every demo entry; `actor` gives a demo user's Actor by name and
    `households` the households of each demo area. Run each step on its day."""

    def step(entry: DemoEntry) -> Callable[[], object]:
        def run():
            household = households[entry.area][entry.household]
            return services.record_entry(actor(entry.user), _data(entry, household))

        return run

    return [(e.days_ago, step(e)) for e in ENTRIES]
