"""The regulatory data supervision starts with: loaded by migration, each row with a source
(or honestly marked unknown), and reloadable without duplicates."""

from agritrace.supervision.catalogue import load_supervision_catalogue
from agritrace.supervision.models import (
    DEMO_SOURCE,
    ChecklistTemplate,
    MarketPest,
    Pest,
    ResidueLimit,
    SeasonCalendar,
)


def test_checklists_are_data(db):
    area = ChecklistTemplate.current("area")
    house = ChecklistTemplate.current("packing_house")
    assert {"diary_complete", "pest_surveillance", "approved_inputs", "pesticide_packaging"} <= {
        i.key for i in area.items.all()
    }
    assert {"hygiene", "one_way_flow", "clean_water", "calibrated_equipment", "labels"} <= {
        i.key for i in house.items.all()
    }
    assert area.source and house.source


def test_every_fact_has_a_source(db):
    for model in (SeasonCalendar, MarketPest, ResidueLimit):
        for row in model.objects.all():
            assert row.source, row
    demo = ResidueLimit.objects.filter(is_demo=True)
    assert demo.exists() and all(r.source == DEMO_SOURCE for r in demo)
    assert not ResidueLimit.objects.filter(is_demo=False, source=DEMO_SOURCE).exists()
    durian_dl = SeasonCalendar.objects.get(crop__code="durian", region__startswith="Đắk Lắk")
    assert durian_dl.harvest_start_month == 8 and "press" in durian_dl.source


def test_quarantine_pests_of_china_for_durian(db):
    pests = MarketPest.objects.filter(market__code="CN", crop__code="durian")
    assert "Bactrocera correcta" in {mp.pest.scientific_name for mp in pests}
    assert all("66/2022" in mp.source for mp in pests)


def test_reloading_is_idempotent(db):
    before = [m.objects.count() for m in (ChecklistTemplate, SeasonCalendar, Pest, ResidueLimit)]
    load_supervision_catalogue()
    after = [m.objects.count() for m in (ChecklistTemplate, SeasonCalendar, Pest, ResidueLimit)]
    assert before == after
